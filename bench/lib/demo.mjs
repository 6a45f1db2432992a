// Starts the built demo (dist/apps/demo/src/main.js) as real child processes.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { clearTimeout, setTimeout } from 'node:timers';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const DEMO_ENTRY = path.join(REPO_ROOT, 'dist/apps/demo/src/main.js');

const READY_LINE = /listening on http:\/\/127\.0\.0\.1:(\d+)/;
const READY_TIMEOUT_MS = 60_000;
const STOP_GRACE_MS = 5_000;
/** Kept output per instance: enough for the last log lines, bounded however chatty it gets. */
const MAX_OUTPUT_CHARS = 200_000;
// eslint-disable-next-line no-control-regex
const ANSI = /\x1b\[[0-9;]*m/g;

const running = new Set();
// Last resort: never leave an instance behind when the runner dies.
process.once('exit', () => running.forEach((child) => child.kill('SIGKILL')));

/** Stops every instance still running (used on SIGINT and after a failed scenario). */
export async function stopAllDemos() {
  await Promise.all([...running].map((child) => child.stopDemo()));
}

/**
 * Starts one instance with exactly `env` (plus PATH/HOME for node) and resolves once it prints
 * its "listening on" line. The returned handle reads its output (ANSI stripped), waits for log
 * lines, reads its resident memory and stops it. `entry` runs another server the same way (the
 * bare Nest app, the peer scenario's better-auth server), reading PORT.
 */
export async function startDemo(name, env, { entry = DEMO_ENTRY } = {}) {
  if (!existsSync(entry)) {
    throw new Error(`${entry} does not exist: run \`npm run build\` first (npm run bench does)`);
  }
  const hostEnv = Object.fromEntries(
    ['PATH', 'HOME', 'TMPDIR', 'LANG', 'TZ']
      .filter((key) => process.env[key] !== undefined)
      .map((key) => [key, process.env[key]]),
  );
  // Without info-level logs there is no "listening on" line to read the port from: pick a free
  // port here and wait until it answers HTTP instead.
  const fixedPort = !logsInfo(env.LOG_LEVEL);
  let port = fixedPort ? await freePort() : undefined;
  // e.g. BENCH_DEMO_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof" (not allowed in NODE_OPTIONS).
  const nodeArgs = (process.env.BENCH_DEMO_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const child = spawn(process.execPath, [...nodeArgs, entry], {
    cwd: REPO_ROOT,
    env: { ...hostEnv, ...env, ...(fixedPort ? { PORT: String(port) } : {}) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);

  let output = '';
  let partial = '';
  const lineWaiters = new Set();
  // Always drain both pipes: a full pipe would block the demo's event loop and skew every number.
  const append = (chunk) => {
    const text = chunk.toString('utf8').replace(ANSI, '');
    output = (output + text).slice(-MAX_OUTPUT_CHARS);
    if (process.env.BENCH_DEMO_LOGS) process.stderr.write(`[${name}] ${text}`);
    const lines = (partial + text).split('\n');
    partial = lines.pop();
    for (const line of lines) for (const waiter of lineWaiters) waiter(line);
  };
  child.stdout.on('data', append);
  child.stderr.on('data', append);
  const exited = new Promise((resolve) => child.once('exit', resolve));
  exited.then(() => running.delete(child));

  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
    await exited;
    clearTimeout(timer);
  };
  child.stopDemo = stop;

  /** Resolves with the first log line (from now on) matching `pattern`; rejects after `timeoutMs`. */
  const waitForLine = (pattern, timeoutMs) =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        lineWaiters.delete(waiter);
        reject(new Error(`${name}: no log line matching ${pattern} within ${timeoutMs} ms`));
      }, timeoutMs);
      const waiter = (line) => {
        const match = pattern.exec(line);
        if (!match) return;
        clearTimeout(timer);
        lineWaiters.delete(waiter);
        resolve(match);
      };
      lineWaiters.add(waiter);
      exited.then(() => {
        if (!lineWaiters.has(waiter)) return;
        clearTimeout(timer);
        lineWaiters.delete(waiter);
        reject(new Error(`${name} exited while waiting for ${pattern}\n${output.slice(-3000)}`));
      });
    });

  try {
    if (!fixedPort) {
      // Registered right after spawn, before any output event can arrive, so the line is not missed.
      port = Number((await waitForLine(READY_LINE, READY_TIMEOUT_MS))[1]);
    } else {
      await waitForHttp(port, exited, READY_TIMEOUT_MS);
    }
  } catch (error) {
    await stop();
    throw new Error(
      `demo ${name} did not start: ${error.message}\n--- output ---\n${output.slice(-3000)}`,
      {
        cause: error,
      },
    );
  }

  return {
    name,
    pid: child.pid,
    port,
    baseUrl: `http://127.0.0.1:${port}`,
    output: () => output,
    waitForLine,
    /** Resident set size in kB, from /proc/<pid>/status. */
    rssKb: () => readRssKb(child.pid),
    stop,
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
