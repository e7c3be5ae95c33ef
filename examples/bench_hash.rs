//! CPU per password hash, natively, for every algorithm Portcullis writes or verifies: Argon2id
//! (m = 19 MiB, t = 2, p = 1), PBKDF2-HMAC-SHA256 (600,000 iterations) and Better Auth's scrypt
//! (N = 16384, r = 16, p = 1). One thread; CPU time from `/proc/thread-self/schedstat` (ns), so
//! other load on the machine changes wall time but not these figures much.
//!
//!   cargo run --release --example bench_hash [runs]
//!
//! Prints one tab-separated line per algorithm and operation:
//! `algorithm  op  median_cpu_ms  min_cpu_ms  max_cpu_ms  median_wall_ms  runs`.

use portcullis::crypto::password::{hash, verify};
use portcullis::Algorithm;

fn thread_cpu_ns() -> u64 {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse().ok())
        .unwrap_or(0)
}

fn median(xs: &mut [f64]) -> f64 {
    xs.sort_by(f64::total_cmp);
    let n = xs.len();
    if n % 2 == 1 {
        xs[n / 2]
    } else {
        (xs[n / 2 - 1] + xs[n / 2]) / 2.0
    }
}

fn main() {
    let runs: usize = std::env::args()
        .nth(1)
        .and_then(|r| r.parse().ok())
        .unwrap_or(7)
        .max(1);
    let password = "correct-horse-battery";
    for algorithm in [
        Algorithm::Argon2id,
        Algorithm::Pbkdf2Sha256,
        Algorithm::Scrypt,
    ] {
        let stored = hash(algorithm, password); // warm-up, and the hash verify checks
        for op in ["hash", "verify"] {
            let (mut cpu, mut wall) = (Vec::new(), Vec::new());
            for _ in 0..runs {
                let (c0, w0) = (thread_cpu_ns(), std::time::Instant::now());
                if op == "hash" {
                    std::hint::black_box(hash(algorithm, std::hint::black_box(password)));
                } else {
                    assert!(verify(&stored, std::hint::black_box(password)));
                }
                wall.push(w0.elapsed().as_secs_f64() * 1000.0);
                cpu.push((thread_cpu_ns() - c0) as f64 / 1e6);
            }
            let (min, max) = (
                cpu.iter().copied().fold(f64::INFINITY, f64::min),
                cpu.iter().copied().fold(0.0, f64::max),
            );
            println!(
                "{}\t{op}\t{:.1}\t{:.1}\t{:.1}\t{:.1}\t{runs}",
                algorithm.as_str(),
                median(&mut cpu),
                min,
                max,
                median(&mut wall)
            );
        }
    }
}
