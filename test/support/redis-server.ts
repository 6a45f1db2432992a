import { type ChildProcess, spawn } from 'node:child_process';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { trackChildProcess } from './global-setup.js';
import { sleep } from './timing.js';

const READY_TIMEOUT_MS = 10_000;
const STOP_GRACE_MS = 5_000;

/** A `redis-server` owned by one test: it can be stopped and started again on the same port. */
export interface TestRedisServer {
  readonly port: number;
  readonly url: string;
  /** True between start/restart and stop. */
  isRunning(): boolean;
  /** Stops the server (SIGTERM, SIGKILL after 5 s). Nothing is persisted, so data is lost. */
  stop(): Promise<void>;
  /** Kills it at once (SIGKILL, a crash: no goodbye to clients or to cluster peers). */
  kill(): Promise<void>;
  /** Starts a fresh, empty server on the same port. */
  restart(): Promise<void>;
  output(): string;
}

/**
 * Starts `redis-server` on a free port, without persistence, and waits until it answers PING.
 * `args` are appended to the command line (later arguments win), e.g. cluster mode.
 */
export async function startRedisServer({
  args = () => [],
}: { args?: (port: number) => string[] } = {}): Promise<TestRedisServer> {
  const port = await freePort();
  const url = `redis://127.0.0.1:${port}`;
  let child: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();
  let output = '';

  const start = async (): Promise<void> => {
    const current = spawn(
      'redis-server',
      // `--save ''` and `--appendonly no`: nothing on disk, so a restart comes back empty and the
      // test leaves no files; --dir keeps redis away from the repository all the same.
      [
        ...['--port', String(port), '--bind', '127.0.0.1', '--daemonize', 'no'],
        ...['--save', '', '--appendonly', 'no', '--dir', tmpdir()],
        ...args(port),
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    child = current;
    trackChildProcess(current);
    exited = new Promise((resolve) => current.once('exit', () => resolve()));
    current.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    current.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    await waitUntilAnswering(port, current, () => output);
  };

  const stop = async (): Promise<void> => {
    const current = child;
    if (!current || current.exitCode !== null || current.signalCode !== null) return;
    current.kill('SIGTERM');
    const killTimer = setTimeout(() => current.kill('SIGKILL'), STOP_GRACE_MS);
    await exited;
    clearTimeout(killTimer);
  };

  await start();
  return {
    port,
    url,
    isRunning: () => !!child && child.exitCode === null && child.signalCode === null,
    stop,
    kill: async () => {
      const current = child;
      if (!current || current.exitCode !== null || current.signalCode !== null) return;
      current.kill('SIGKILL');
      await exited;
    },
    restart: async () => {
      await stop();
      await start();
    },
    output: () => output,
  };
}

async function waitUntilAnswering(
  port: number,
  child: ChildProcess,
  output: () => string,
): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  for (;;) {
    if (child.exitCode !== null) {
      throw new Error(`redis-server exited with code ${child.exitCode}:\n${output()}`);
    }
    if (await answersPing(port)) return;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(
        `redis-server did not answer on port ${port} within ${READY_TIMEOUT_MS} ms:\n${output()}`,
      );
    }
    await sleep(50);
  }
}

/**
 * Sends a raw PING. (An ioredis client that fails to connect keeps a timer alive for seconds, which
 * would hold the test runner open after the last test.)
 */
function answersPing(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ port, host: '127.0.0.1' });
    const done = (answer: boolean): void => {
      socket.destroy();
      resolve(answer);
    };
    socket.setTimeout(1000, () => done(false));
    socket.once('error', () => done(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.once('data', (data) => done(data.toString().startsWith('+PONG')));
  });
}

/** A TCP port nobody listens on right now (the OS picks it; the window for a clash is tiny). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address
          ? resolve(address.port)
          : reject(new Error('no port')),
      );
    });
  });
}
