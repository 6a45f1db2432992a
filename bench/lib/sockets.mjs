// Socket.io clients: many idle ones in worker processes, a few probes in the runner.
import { fork } from 'node:child_process';
import path from 'node:path';
import { clearTimeout, setTimeout } from 'node:timers';
import { fileURLToPath } from 'node:url';
import { io } from 'socket.io-client';

const WORKER = path.join(path.dirname(fileURLToPath(import.meta.url)), 'socket-worker.mjs');
const workers = new Set();
process.once('exit', () => workers.forEach((child) => child.kill('SIGKILL')));

function ask(child, message, replyType) {
  return new Promise((resolve, reject) => {
    const onMessage = (reply) => {
      if (reply.type !== replyType) return;
      child.off('message', onMessage);
      child.off('exit', onExit);
      resolve(reply);
    };
    const onExit = (code) => reject(new Error(`socket worker exited with code ${code}`));
    child.on('message', onMessage);
    child.once('exit', onExit);
    child.send(message);
  });
}

/**
 * Connects one socket per token, spread over `workerCount` child processes, and keeps them open.
 * Resolves with counts and error messages (a refused handshake's message is the error code).
 */
export async function connectMany(
  url,
  tokens,
  { workerCount = 4, concurrency = 50, timeoutMs = 20_000, deadline = Date.now() + 120_000 } = {},
) {
  const children = Array.from({ length: workerCount }, () => {
    const child = fork(WORKER, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    workers.add(child);
    child.once('exit', () => workers.delete(child));
    return child;
  });
  const slices = children.map((_, i) => tokens.filter((_, j) => j % workerCount === i));
  const started = Date.now();
  const replies = await Promise.all(
    children.map((child, i) =>
      ask(
        child,
        { type: 'connect', url, tokens: slices[i], concurrency, timeoutMs, deadline },
        'connected',
      ),
    ),
  );
  const errors = {};
  for (const reply of replies) {
    for (const [message, count] of Object.entries(reply.errors)) {
      errors[message] = (errors[message] ?? 0) + count;
    }
  }
  return {
    connected: replies.reduce((sum, r) => sum + r.connected, 0),
    failed: replies.reduce((sum, r) => sum + r.failed, 0),
    notAttempted: replies.reduce((sum, r) => sum + r.notAttempted, 0),
    errors,
    ms: Date.now() - started,
    /** How many are still connected, how many dropped, and which events they received. */
    async status() {
      const all = await Promise.all(
        children.map((child) => ask(child, { type: 'status' }, 'status')),
      );
      const events = {};
      for (const s of all) {
        for (const [name, count] of Object.entries(s.events))
          events[name] = (events[name] ?? 0) + count;
      }
      return {
        connected: all.reduce((sum, s) => sum + s.connected, 0),
        disconnects: all.reduce((sum, s) => sum + s.disconnects, 0),
        events,
      };
    },
    async close() {
      await Promise.all(
        children.map((child) =>
          child.connected
            ? ask(child, { type: 'close' }, 'closed').catch(() => undefined)
            : undefined,
        ),
      );
    },
  };
}

/** One socket in this process, for latency probes; rejects with the handshake error. */
export function probeSocket(url, token, timeoutMs = 10_000) {
  return new Promise((resolve, reject) => {
    const socket = io(`${url}/sessions`, {
      auth: { token },
      transports: ['websocket'],
      forceNew: true,
      reconnection: false,
    });
    const timer = setTimeout(() => {
      socket.close();
      reject(new Error('socket did not connect in time'));
    }, timeoutMs);
    socket.once('connect', () => {
      clearTimeout(timer);
      resolve(socket);
    });
    socket.once('connect_error', (error) => {
      clearTimeout(timer);
      socket.close();
      reject(new Error(`socket refused: ${error.message}`));
    });
  });
}

export function killSocketWorkers() {
  workers.forEach((child) => child.kill('SIGKILL'));
}
