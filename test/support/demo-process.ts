import { existsSync } from 'node:fs';
import {
  DEMO_ENTRY,
  type DemoExit,
  launchDemo,
  REPO_ROOT,
  untilListening,
} from './demo-launcher.mjs';
import { testEnv } from './env.js';
import { trackChildProcess } from './global-setup.js';

export { DEMO_ENTRY, type DemoExit, REPO_ROOT };

const READY_TIMEOUT_MS = 30_000;
/** Caps the kept output so a chatty instance cannot eat the test runner's memory. */
const MAX_OUTPUT_CHARS = 400_000;

/** The demo's configuration; a key set to `undefined` is left out of the child's environment. */
export type DemoEnv = Record<string, string | undefined>;

export interface DemoOptions {
  /**
   * Names the deployment: instances with the same name share one Redis key prefix (like replicas
   * behind a load balancer); different names never see each other's keys.
   */
  name: string;
  /** Overrides of the test defaults, e.g. `{ REUSE_GRACE_SECONDS: '1' }` or `{ REDIS_URL: undefined }`. */
  env?: DemoEnv;
  /**
   * Another built app to start instead of the demo (an adopter's app made by test/consumer); it must
   * print the same `listening on http://127.0.0.1:<port>` line. Default: the built demo.
   */
  entry?: string;
  /** Its working directory. Default: the repository root. */
  cwd?: string;
  /** The node executable (e.g. another major for a consumer lane). Default: the runner's own. */
  node?: string;
}

/** A running instance of the built demo app, started as a real child process. */
export interface DemoProcess {
  readonly name: string;
  readonly baseUrl: string;
  readonly port: number;
  readonly pid: number;
  /** The configuration it was started with. */
  readonly env: Readonly<Record<string, string>>;
  /** Everything it printed so far, stdout and stderr interleaved. */
  output(): string;
  /** SIGTERM, then SIGKILL if it is still running after 5 s. Safe to call twice. */
  stop(): Promise<void>;
  /** Resolves once the process has exited (for the tests about signals and exit codes). */
  readonly exited: Promise<DemoExit>;
  /** The exit, once it happened. */
  exit(): DemoExit | undefined;
  /** Sends any signal while it runs (SIGKILL, SIGTERM ...). */
  signal(signal: NodeJS.Signals): void;
}

/** The configuration every test instance starts with, before the test's own overrides. */
export function defaultDemoEnv(name: string): Record<string, string> {
  const env = testEnv();
  return {
    PORT: '0',
    DATABASE_URL: env.databaseUrl,
    REDIS_URL: env.redisUrl,
    REDIS_KEY_PREFIX: `${env.redisPrefix}${name}:`,
    JWT_SECRET: env.jwtSecret,
    ACCESS_TOKEN_TTL: '900',
    REFRESH_IDLE_TTL: '3600',
    REFRESH_ABSOLUTE_TTL: '86400',
    REUSE_GRACE_SECONDS: '10',
    BCRYPT_ROUNDS: '4',
    COOKIE_SECURE: 'false',
    // The demo's default is `cookie`; the suites read the refresh token from the body as a
    // non-browser client does, so they ask for `both` (test/operability checks the default).
    REFRESH_TRANSPORT: 'both',
    // The demo serves /metrics only when asked; several suites read it.
    METRICS: 'true',
    // High enough that only the rate-limit test (which lowers them) ever meets a limit.
    RATE_LIMIT_LOGIN: '1000',
    RATE_LIMIT_LOGIN_IP: '100000',
    RATE_LIMIT_REFRESH: '10000',
    // Once a year: the cleanup job must not change rows under a running test.
    CLEANUP_CRON: '0 0 1 1 *',
    // No drain pause on SIGTERM: nothing is behind a load balancer here, and suites stop faster.
    SHUTDOWN_DRAIN_MS: '0',
  };
}

/** Starts `node dist/apps/demo/src/main.js` and resolves once it says it is listening. */
export async function startDemo(options: DemoOptions): Promise<DemoProcess> {
  const entry = options.entry ?? DEMO_ENTRY;
  if (!existsSync(entry)) {
    throw new Error(`${entry} does not exist: run \`npm run build\` first (npm run test:e2e does)`);
  }
  const env = withoutUndefined({ ...defaultDemoEnv(options.name), ...options.env });
  const demo = launchDemo({
    name: options.name,
    env,
    entry,
    node: options.node,
    cwd: options.cwd ?? REPO_ROOT,
    maxOutputChars: MAX_OUTPUT_CHARS,
    echo: process.env.E2E_DEMO_LOGS
      ? (text) => process.stderr.write(`[demo ${options.name}] ${text}`)
      : undefined,
  });
  // The global teardown kills it if a suite fails to stop it.
  trackChildProcess(demo.child);
  const port = await untilListening(demo, READY_TIMEOUT_MS);
  return {
    name: options.name,
    baseUrl: `http://127.0.0.1:${port}`,
    port,
    pid: demo.pid,
    env,
    output: demo.output,
    stop: demo.stop,
    exited: demo.exited,
    exit: demo.exit,
    signal: demo.signal,
  };
}

/** Starts several instances at once (start-up is mostly waiting, so this saves suite time). */
export async function startDemos(...options: DemoOptions[]): Promise<DemoProcess[]> {
  const results = await Promise.allSettled(options.map((o) => startDemo(o)));
  const failure = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  const started = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
  if (failure) {
    await stopDemos(...started);
    throw failure.reason;
  }
  return started;
}

/** Stops every given instance (missing ones, from a failed beforeAll, are skipped). */
export async function stopDemos(...demos: (DemoProcess | undefined)[]): Promise<void> {
  await Promise.all(demos.map((demo) => demo?.stop()));
}

function withoutUndefined(env: DemoEnv): Record<string, string> {
  return Object.fromEntries(
    Object.entries(env).filter((entry): entry is [string, string] => entry[1] !== undefined),
  );
}
