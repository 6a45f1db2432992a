// Starts the built demo (or another built app) as a real child process: the one launcher behind
// the e2e tests (test/support/demo-process.ts) and the benchmarks (bench/lib/demo.mjs). Plain ESM
// so that node runs it as is for bench/ and jest loads it untransformed; types in the .d.mts.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { clearTimeout, setTimeout } from 'node:timers';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const DEMO_ENTRY = path.join(REPO_ROOT, 'dist/apps/demo/src/main.js');
/** The line the demo prints once it accepts connections; group 1 is the port. */
export const READY_LINE = /listening on http:\/\/127\.0\.0\.1:(\d+)/;

const STOP_GRACE_MS = 5_000;
// eslint-disable-next-line no-control-regex
const ANSI = /\x1b\[[0-9;]*m/g;

/**
 * Only what node needs from the runner's environment: a stray DATABASE_URL or REDIS_URL of the
 * developer's shell must not leak into an instance that is meant to run without it.
 */
export function hostEnv() {
  const keep = ['PATH', 'HOME', 'TMPDIR', 'LANG', 'TZ', 'SYSTEMROOT'];
  return Object.fromEntries(
    keep.filter((key) => process.env[key] !== undefined).map((key) => [key, process.env[key]]),
  );
}

/**
 * Spawns `node <entry>` (the runner's own node unless `node` names another) with exactly `env` (plus `hostEnv()`), and drains and keeps its output (a
 * full pipe would block the app's event loop). Does not wait for anything: see `untilListening`.
 */
export function launchDemo({
  name,
  env,
  entry = DEMO_ENTRY,
  node = process.execPath,
  nodeArgs = [],
  cwd = REPO_ROOT,
  maxOutputChars,
  stripAnsi = false,
  echo,
}) {
  const child = spawn(node, [...nodeArgs, entry], {
    cwd,
    env: { ...hostEnv(), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });

  let output = '';
  let partial = '';
  const lineWaiters = new Set();
  const append = (chunk) => {
    const text = stripAnsi ? chunk.toString('utf8').replace(ANSI, '') : chunk.toString('utf8');
    output = (output + text).slice(-maxOutputChars);
    echo?.(text);
    const lines = (partial + text).split('\n');
    partial = lines.pop();
    for (const line of lines) for (const waiter of lineWaiters) waiter(line);
  };
  child.stdout.on('data', append);
  child.stderr.on('data', append);

  let exit;
  const exited = new Promise((resolve) => {
    const done = (code, signal) => {
      if (exit) return;
      exit = { code, signal, at: Date.now() };
      resolve(exit);
    };
    child.once('exit', done);
    // A process that could not be spawned never exits: its 'error' is its end.
    child.once('error', (error) => {
      output += `\n${error.message}`;
      if (child.pid === undefined) done(null, null);
    });
  });

  const stop = async () => {
    if (exit) return;
    child.kill('SIGTERM');
    const killTimer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
    await exited;
    clearTimeout(killTimer);
  };

  /** Resolves with the first line (from now on) matching `pattern`; rejects after `timeoutMs`. */
  const waitForLine = (pattern, timeoutMs) =>
    new Promise((resolve, reject) => {
      const settle = (error, match) => {
        clearTimeout(timer);
        lineWaiters.delete(waiter);
        if (error) reject(error);
        else resolve(match);
      };
      const timer = setTimeout(
        () => settle(new Error(`no log line matching ${pattern} within ${timeoutMs} ms`)),
        timeoutMs,
      );
      const waiter = (line) => {
        const match = pattern.exec(line);
        if (match) settle(undefined, match);
      };
      lineWaiters.add(waiter);
      void exited.then(({ code, signal }) => {
        if (lineWaiters.has(waiter)) {
          settle(
            new Error(`it exited with code ${code} (signal ${signal}) waiting for ${pattern}`),
          );
        }
      });
    });

  return {
    name,
    child,
    pid: child.pid,
    output: () => output,
    exited,
    exit: () => exit,
    stop,
    signal: (signal) => {
      if (!exit) child.kill(signal);
    },
    waitForLine,
  };
}

/**
 * Resolves with the port of the READY_LINE, or stops the instance and rejects with its output.
 * Call it right after `launchDemo`, before any output can arrive, so the line is not missed.
 */
export async function untilListening(demo, timeoutMs) {
  return untilReady(demo, async () => Number((await demo.waitForLine(READY_LINE, timeoutMs))[1]));
}

/** Runs `ready()`; on failure stops the instance and rejects naming it, with its output. */
export async function untilReady(demo, ready) {
  try {
    return await ready();
  } catch (error) {
    await demo.stop();
    throw new Error(
      `demo ${demo.name} did not start: ${error.message}\n--- its output ---\n${demo.output()}`,
      {
        cause: error,
      },
    );
  }
}
