// CPU per password hash for Better Auth 1.7.25's scrypt (N=16384, r=16, p=1, node:crypto on libuv's
// thread pool), natively in Node. Run from a directory whose node_modules has better-auth (bench/run.sh
// runs it in the reference copy). CPU from process.cpuUsage() (all threads of the process), one hash
// at a time.
//   node ba-hash.mjs [runs]
// Prints tab-separated lines like examples/bench_hash.rs:
// `algorithm  op  median_cpu_ms  min_cpu_ms  max_cpu_ms  median_wall_ms  runs`.
import { hashPassword, verifyPassword } from 'better-auth/crypto';

const runs = Math.max(1, Number(process.argv[2] || 7));
const password = 'correct-horse-battery';
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const stored = await hashPassword(password); // warm-up
for (const op of ['hash', 'verify']) {
  const cpu = [];
  const wall = [];
  for (let i = 0; i < runs; i++) {
    const c0 = process.cpuUsage();
    const w0 = performance.now();
    if (op === 'hash') await hashPassword(password);
    else if (!(await verifyPassword({ hash: stored, password }))) throw new Error('verify failed');
    wall.push(performance.now() - w0);
    const c = process.cpuUsage(c0);
    cpu.push((c.user + c.system) / 1000);
  }
  console.log(['better-auth-scrypt', op, median(cpu).toFixed(1), Math.min(...cpu).toFixed(1),
    Math.max(...cpu).toFixed(1), median(wall).toFixed(1), runs].join('\t'));
}
