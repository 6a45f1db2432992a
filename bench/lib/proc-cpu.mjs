// CPU time a process has used, from /proc (Linux): its main thread (where JavaScript runs) and all
// of its threads (libuv's pool, where bcrypt hashes, V8's GC helpers, the profiler's sampler).
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

const TICKS_PER_SECOND = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/** utime + stime of a /proc stat file, in microseconds. */
function statCpuUs(file) {
  const text = readFileSync(file, 'utf8');
  // The command name may hold spaces and parentheses: fields are counted after the last ')'.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  // fields[0] is field 3 (state): utime is field 14, stime field 15.
  const ticks = Number(fields[11]) + Number(fields[12]);
  return (ticks * 1_000_000) / TICKS_PER_SECOND;
}

/** `{ mainThreadUs, processUs }` used so far by `pid` (resolution: one clock tick, 10 ms). */
export function cpuUsage(pid) {
  return {
    mainThreadUs: statCpuUs(`/proc/${pid}/task/${pid}/stat`),
    processUs: statCpuUs(`/proc/${pid}/stat`),
  };
}
