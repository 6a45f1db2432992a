// CPU time a process has used, from /proc (Linux): its main thread (where JavaScript runs) and all
// its other threads (libuv's pool, where bcrypt hashes, and V8's GC helpers).
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

const TICKS_PER_SECOND = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/** `{ name, us }`: a /proc stat file's command name and utime + stime in microseconds. */
function statCpu(file) {
  const text = readFileSync(file, 'utf8');
  // The command name may hold spaces and parentheses: fields are counted after the last ')'.
  const name = text.slice(text.indexOf('(') + 1, text.lastIndexOf(')'));
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  // fields[0] is field 3 (state): utime is field 14, stime field 15.
  const ticks = Number(fields[11]) + Number(fields[12]);
  return { name, us: (ticks * 1_000_000) / TICKS_PER_SECOND };
}

/** V8's CPU profiler thread: it polls, so its CPU is the profiler's, not the app's. */
const PROFILER_THREAD = 'v8:ProfEvntProc';

/**
 * `{ mainThreadUs, otherThreadsUs }` used so far by `pid` (resolution: one clock tick, 10 ms):
 * its main thread (where JavaScript runs) and its other threads but the profiler's.
 */
export function cpuUsage(pid) {
  let otherThreadsUs = 0;
  let mainThreadUs = 0;
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    let thread;
    try {
      thread = statCpu(`/proc/${pid}/task/${tid}/stat`);
    } catch {
      continue; // the thread ended since the listing
    }
    if (tid === String(pid)) mainThreadUs = thread.us;
    else if (thread.name !== PROFILER_THREAD) otherThreadsUs += thread.us;
  }
  return { mainThreadUs, otherThreadsUs };
}
