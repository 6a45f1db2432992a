// Starts the built demo (dist/apps/demo/src/main.js) as real child processes, through the
// launcher the e2e tests use too; this adds what only the benchmarks need (a fixed port when the
// demo logs below info, resident memory, stopping everything on exit).
import { existsSync, readFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  DEMO_ENTRY,
  launchDemo,
  REPO_ROOT,
  untilListening,
  untilReady,
} from '../../test/support/demo-launcher.mjs';

export { DEMO_ENTRY, REPO_ROOT };

const READY_TIMEOUT_MS = 60_000;
/** Kept output per instance: enough for the last log lines, bounded however chatty it gets. */
const MAX_OUTPUT_CHARS = 200_000;

const running = new Set();
// Last resort: never leave an instance behind when the runner dies.
process.once('exit', () => running.forEach((demo) => demo.child.kill('SIGKILL')));

/** Stops every instance still running (used on SIGINT and after a failed scenario). */
export async function stopAllDemos() {
  await Promise.all([...running].map((demo) => demo.stop()));
}

/**
 * Starts one instance with exactly `env` (plus PATH/HOME for node) and resolves once it prints
 * its "listening on" line. The returned handle reads its output (ANSI stripped), waits for log
 * lines, reads its resident memory and stops it. `entry` runs another server the same way (the
 * bare Nest app, the peer scenario's better-auth server), reading PORT. `nodeArgs` are node flags
 * for this instance (bench/profile.mjs passes --cpu-prof).
 */
export async function startDemo(name, env, { entry = DEMO_ENTRY, nodeArgs = [] } = {}) {
  if (!existsSync(entry)) {
    throw new Error(`${entry} does not exist: run \`npm run build\` first (npm run bench does)`);
  }
  // Without info-level logs there is no "listening on" line to read the port from: pick a free
  // port here and wait until it answers HTTP instead.
  const fixedPort = !logsInfo(env.LOG_LEVEL);
  const port = fixedPort ? await freePort() : undefined;
  const demo = launchDemo({
    name,
    env: { ...env, ...(fixedPort ? { PORT: String(port) } : {}) },
    entry,
    // e.g. BENCH_DEMO_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof" (not allowed in NODE_OPTIONS).
    nodeArgs: [...(process.env.BENCH_DEMO_NODE_ARGS ?? '').split(' ').filter(Boolean), ...nodeArgs],
    maxOutputChars: MAX_OUTPUT_CHARS,
    stripAnsi: true,
    echo: process.env.BENCH_DEMO_LOGS
      ? (text) => process.stderr.write(`[${name}] ${text}`)
      : undefined,
  });
  running.add(demo);
  demo.exited.then(() => running.delete(demo));

  const listening = fixedPort
    ? await untilReady(demo, () =>
        waitForHttp(port, demo.exited, READY_TIMEOUT_MS).then(() => port),
      )
    : await untilListening(demo, READY_TIMEOUT_MS);

  return {
    name,
    pid: demo.pid,
    port: listening,
    baseUrl: `http://127.0.0.1:${listening}`,
    output: demo.output,
    waitForLine: (pattern, timeoutMs) =>
      demo.waitForLine(pattern, timeoutMs).catch((error) => {
        const tail = demo.exit() ? `\n${demo.output().slice(-3000)}` : '';
        throw new Error(`${name}: ${error.message}${tail}`, { cause: error });
      }),
    /** Resident set size in kB, from /proc/<pid>/status. */
    rssKb: () => readRssKb(demo.pid),
    stop: demo.stop,
  };
}

function logsInfo(level) {
  return !level || ['info', 'debug', 'trace'].includes(level);
}

function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** Resolves once something answers HTTP on the port (any status). */
async function waitForHttp(port, exited, timeoutMs) {
  let gone = false;
  exited.then(() => (gone = true));
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (gone) throw new Error('it exited before answering HTTP');
    const answered = await new Promise((resolve) => {
      const req = http.get(
        { host: '127.0.0.1', port, path: '/bench/unguarded', timeout: 1000 },
        (res) => {
          res.resume();
          resolve(true);
        },
      );
      req.on('error', () => resolve(false));
      req.on('timeout', () => req.destroy());
    });
    if (answered) return;
    await sleep(100);
  }
  throw new Error(`nothing answered HTTP on port ${port} within ${timeoutMs} ms`);
}

export function readRssKb(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
  if (!match) throw new Error(`no VmRSS for pid ${pid}`);
  return Number(match[1]);
}

/** Median of `samples` RSS readings taken `intervalMs` apart (one reading is noisy). */
export async function sampleRssKb(demo, samples = 5, intervalMs = 200) {
  const values = [];
  for (let i = 0; i < samples; i++) {
    values.push(demo.rssKb());
    if (i < samples - 1) await sleep(intervalMs);
  }
  values.sort((a, b) => a - b);
  return values[Math.floor(values.length / 2)];
}
