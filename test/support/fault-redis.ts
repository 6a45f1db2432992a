import { type ChildProcess, spawn } from 'node:child_process';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { freePort, type TestRedisServer } from './redis-server.js';

// A test-owned `redis-server` for the fault suites, with the same interface as redis-server.ts's
// TestRedisServer (stop, then restart empty on the same port). It exists because that file's
// startRedisServer() fails with "ReferenceError: port is not defined" (its readiness check uses a
// variable of another scope); once that is fixed, the fault suites can switch back to it.

const READY_TIMEOUT_MS = 10_000;
const STOP_GRACE_MS = 5_000;

const running = new Set<ChildProcess>();
process.once('exit', () => running.forEach((child) => child.kill('SIGKILL')));

/** Starts `redis-server` on a free port, without persistence, and waits until it answers PING. */
export async function startOwnedRedis(): Promise<TestRedisServer> {
  const port = await freePort();
  let child: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();
  let output = '';

  const start = async (): Promise<void> => {
    // Nothing on disk (`--save ''`, no AOF): a restart comes back empty, and no files are left.
    const args = [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--appendonly',
      'no',
    ];
    const current = spawn('redis-server', [...args, '--daemonize', 'no', '--dir', tmpdir()], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child = current;
    running.add(current);
    exited = new Promise((resolve) => current.once('exit', () => resolve()));
    void exited.then(() => running.delete(current));
    const append = (chunk: Buffer): void => {
      output = (output + chunk.toString('utf8')).slice(-50_000);
    };
    current.stdout!.on('data', append);
    current.stderr!.on('data', append);
    const deadline = Date.now() + READY_TIMEOUT_MS;
    while (!(await answersPing(port))) {
      if (current.exitCode !== null) {
        throw new Error(`redis-server exited with code ${current.exitCode}:\n${output}`);
      }
      if (Date.now() > deadline) {
        current.kill('SIGKILL');
        throw new Error(`redis-server did not answer on port ${port}:\n${output}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
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
    url: `redis://127.0.0.1:${port}`,
    isRunning: () => !!child && child.exitCode === null && child.signalCode === null,
    stop,
    restart: async () => {
      await stop();
      await start();
    },
    output: () => output,
  };
}

/** A raw PING over a plain socket (a failing ioredis client would keep timers alive for seconds). */
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
