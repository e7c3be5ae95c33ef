//! CPU per password hash, natively, for every algorithm Portcullis writes or verifies: Argon2id
//! (m = 19 MiB, t = 2, p = 1), PBKDF2-HMAC-SHA256 (600,000 iterations) and Better Auth's scrypt
//! (N = 16384, r = 16, p = 1). One thread; CPU time from `/proc/thread-self/schedstat`, so other
//! load on the machine changes wall time but not these figures much. That clock advances in
//! scheduler ticks (4 ms here) while a thread runs uninterrupted, so the CPU figure is the total over
//! all runs divided by the runs; min and max are per-run wall times.
//!
//!   cargo run --release --example bench_hash [runs]
//!
//! Prints one tab-separated line per algorithm and operation:
//! `algorithm  op  mean_cpu_ms  min_wall_ms  max_wall_ms  median_wall_ms  runs`.

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
            let mut wall = Vec::new();
            let c0 = thread_cpu_ns();
            for _ in 0..runs {
                let w0 = std::time::Instant::now();
                if op == "hash" {
                    std::hint::black_box(hash(algorithm, std::hint::black_box(password)));
                } else {
                    assert!(verify(&stored, std::hint::black_box(password)));
                }
                wall.push(w0.elapsed().as_secs_f64() * 1000.0);
            }
            let cpu = (thread_cpu_ns() - c0) as f64 / 1e6 / runs as f64;
            let (min, max) = (
                wall.iter().copied().fold(f64::INFINITY, f64::min),
                wall.iter().copied().fold(0.0, f64::max),
            );
            println!(
                "{}\t{op}\t{cpu:.1}\t{min:.1}\t{max:.1}\t{:.1}\t{runs}",
                algorithm.as_str(),
                median(&mut wall)
            );
        }
    }
}
