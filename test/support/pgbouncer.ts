import { type ChildProcess, spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { trackChildProcess } from './global-setup.js';
import { freePort } from './redis-server.js';
import { sleep } from './timing.js';

const READY_TIMEOUT_MS = 10_000;
/** Debian installs it in /usr/sbin, which is not on every user's PATH (see check-services.mjs). */
const PGBOUNCER_PATH = process.env.PGBOUNCER_PATH ?? '/usr/sbin/pgbouncer';

/** A PgBouncer in transaction mode, owned by one test file, in front of one PostgreSQL server. */
export interface TestPgBouncer {
  readonly port: number;
  /** `url` with host and port swapped for this PgBouncer's (same user and database). */
  through(url: string): string;
  output(): string;
  stop(): Promise<void>;
}

/**
 * Starts Debian's `pgbouncer` as a child process (not a daemon) with a generated configuration in
 * a temporary folder: transaction pooling, trust authentication, every database forwarded to
 * `target`. Short waits, so that a PostgreSQL outage reaches the app as errors within seconds.
 * As root it drops to `nobody` (the files are world-readable), since PgBouncer refuses to run as root.
 */
export async function startPgBouncer(target: {
  host: string;
  port: number;
}): Promise<TestPgBouncer> {
  const dir = mkdtempSync(path.join(tmpdir(), 'session-auth-pgbouncer-'));
  const port = await freePort();
  const config = path.join(dir, 'pgbouncer.ini');
  writeFileSync(path.join(dir, 'users.txt'), '"postgres" ""\n');
  writeFileSync(
    config,
    [
      '[databases]',
      `* = host=${target.host} port=${target.port}`,
      '[pgbouncer]',
      'listen_addr = 127.0.0.1',
      `listen_port = ${port}`,
      'unix_socket_dir =',
      'auth_type = trust',
      `auth_file = ${path.join(dir, 'users.txt')}`,
      'pool_mode = transaction',
      'max_client_conn = 500',
      'default_pool_size = 20',
      // Fail fast when PostgreSQL is away instead of queueing clients for two minutes.
      'server_connect_timeout = 2',
      'server_login_retry = 1',
      'query_wait_timeout = 4',
      'ignore_startup_parameters = extra_float_digits',
      '',
    ].join('\n'),
  );
  chmodSync(dir, 0o755);
  const asRoot = process.getuid?.() === 0;
  const child: ChildProcess = spawn(PGBOUNCER_PATH, [...(asRoot ? ['-u', 'nobody'] : []), config], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  trackChildProcess(child);
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGINT');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    }
    rmSync(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (!(await accepts(port))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      await stop();
      throw new Error(`pgbouncer did not start on port ${port}:\n${output}`);
    }
    await sleep(50);
  }
  return {
    port,
    through: (url) => {
      const u = new URL(url);
      u.hostname = '127.0.0.1';
      u.port = String(port);
      return u.toString();
    },
    output: () => output,
    stop,
  };
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ port, host: '127.0.0.1' });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}
