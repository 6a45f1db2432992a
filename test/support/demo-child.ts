import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import {
  DEMO_ENTRY,
  type DemoOptions,
  type DemoProcess,
  defaultDemoEnv,
  REPO_ROOT,
} from './demo-process.js';
import { trackChildProcess } from './global-setup.js';

// Like startDemo() of demo-process.ts, for the tests that are about the process itself (signals,
// exit code, kill -9): it also exposes the pid, lets the test send any signal, and tells how the
// process ended. Same defaults, same environment rules, same "listening on" readiness line.

const READY_LINE = /listening on http:\/\/127\.0\.0\.1:(\d+)/;
const READY_TIMEOUT_MS = 30_000;
const STOP_GRACE_MS = 5_000;
const MAX_OUTPUT_CHARS = 400_000;

export interface DemoExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Date.now() when the runner saw the exit. */
  at: number;
}

export interface DemoChild extends DemoProcess {
  readonly name: string;
  readonly pid: number;
  /** Resolves once the process has exited. */
  readonly exited: Promise<DemoExit>;
  /** The exit, once it happened. */
  exit(): DemoExit | undefined;
  signal(signal: NodeJS.Signals): void;
}

export async function startDemoChild(options: DemoOptions): Promise<DemoChild> {
  if (!existsSync(DEMO_ENTRY)) {
    throw new Error(`${DEMO_ENTRY} does not exist: run \`npm run build\` first (npm test does)`);
  }
  const env = withoutUndefined({ ...defaultDemoEnv(options.name), ...options.env });
  const host = withoutUndefined(
    Object.fromEntries(['PATH', 'HOME', 'TMPDIR', 'LANG', 'TZ'].map((k) => [k, process.env[k]])),
  );
  const child = spawn(process.execPath, [DEMO_ENTRY], {
    cwd: REPO_ROOT,
    env: { ...host, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  // The global teardown kills it if a suite fails to stop it.
  trackChildProcess(child);
  let output = '';
  const append = (chunk: Buffer): void => {
    output = (output + chunk.toString('utf8')).slice(-MAX_OUTPUT_CHARS);
    if (process.env.E2E_DEMO_LOGS) process.stderr.write(`[demo ${options.name}] ${chunk}`);
  };
  child.stdout!.on('data', append);
  child.stderr!.on('data', append);
  let exit: DemoExit | undefined;
  const exited = new Promise<DemoExit>((resolve) =>
    child.once('exit', (code, signal) => {
      exit = { code, signal, at: Date.now() };
      resolve(exit);
    }),
  );

  const stop = async (): Promise<void> => {
    if (exit) return;
    child.kill('SIGTERM');
    const killTimer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
    await exited;
    clearTimeout(killTimer);
  };

  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(
      () => fail(`no "listening on" line within ${READY_TIMEOUT_MS} ms`),
      READY_TIMEOUT_MS,
    );
    const onData = (): void => {
      const match = READY_LINE.exec(output);
      if (match) {
        done();
        resolve(Number(match[1]));
      }
    };
    const fail = (reason: string): void => {
      done();
      void stop().then(() =>
        reject(new Error(`demo did not start: ${reason}\n--- its output ---\n${output}`)),
      );
    };
    const done = (): void => {
      clearTimeout(timer);
      child.stdout!.off('data', onData);
    };
    child.stdout!.on('data', onData);
    child.once('error', (error) => fail(error.message));
    void exited.then((e) => fail(`it exited with code ${e.code} (signal ${e.signal})`));
  });

  return {
    name: options.name,
    pid: child.pid!,
    baseUrl: `http://127.0.0.1:${port}`,
    port,
    env,
    output: () => output,
    stop,
    exited,
    exit: () => exit,
    signal: (signal) => {
      if (!exit) child.kill(signal);
    },
  };
}

function withoutUndefined(env: Record<string, string | undefined>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(env).filter((entry): entry is [string, string] => entry[1] !== undefined),
  );
}
