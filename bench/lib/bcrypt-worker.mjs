// Child process: the raw bcrypt.compare rate at a given cost with a fixed number in flight.
// Usage: node bcrypt-worker.mjs <cost> <seconds> <parallel>; prints one JSON line.
import { performance } from 'node:perf_hooks';
import bcrypt from 'bcrypt';
import { summarize } from './stats.mjs';

const [cost, seconds, parallel] = process.argv.slice(2).map(Number);
const hash = await bcrypt.hash('bench-password-1', cost);
const durations = [];
const started = performance.now();
const deadline = started + seconds * 1000;
await Promise.all(
  Array.from({ length: parallel }, async () => {
    while (performance.now() < deadline) {
      const t = performance.now();
      if (!(await bcrypt.compare('bench-password-1', hash))) throw new Error('compare failed');
      durations.push(performance.now() - t);
    }
  }),
);
const elapsed = (performance.now() - started) / 1000;
process.stdout.write(
  `${JSON.stringify({ cost, parallel, compares: durations.length, seconds: elapsed, perSecond: durations.length / elapsed, compareMs: summarize(durations) })}\n`,
);
