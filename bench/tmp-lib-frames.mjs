// ad hoc (not committed): library frames of kept profiles, µs/request with the budget's scale
import { readFileSync, readdirSync } from 'node:fs';
import { attribute } from './lib/cpu-profile.mjs';
import { REPO_ROOT } from './lib/demo.mjs';
const [dir, take] = process.argv.slice(2);
const budget = JSON.parse(readFileSync(`${REPO_ROOT}/docs/cpu-budget.json`, 'utf8'));
for (const p of budget.profiles) {
  const d = `${dir}/${take}/${p.id}`;
  let file;
  try {
    file = readdirSync(d).find((n) => n.endsWith('.cpuprofile'));
  } catch {
    continue;
  }
  const prof = JSON.parse(readFileSync(`${d}/${file}`, 'utf8'));
  // whole load period ≈ last (duration+1) s before the end: use the frames' shares only
  const split = attribute(
    prof,
    { fromUs: prof.endTime - 8e6, toUs: prof.endTime - 1e6 },
    REPO_ROOT,
  );
  const lib = split.frames.filter((f) =>
    /libs\/session-auth|apps\/demo|pino|throttler|helmet/.test(f.at + f.where),
  );
  console.log(`== ${p.id} (${p.cpu.mainThread.toFixed(0)} us/req main thread)`);
  for (const f of lib.slice(0, 12))
    console.log(
      `  ${((f.us / split.busyUs) * 100).toFixed(2)}%  ${((f.us / split.busyUs) * p.cpu.mainThread).toFixed(1)} us  ${f.row} ${f.fn} ${f.at}`,
    );
}
