// Child process: holds many socket.io client connections to the /sessions namespace (IPC-driven).
import { performance } from 'node:perf_hooks';
import { clearTimeout, setTimeout } from 'node:timers';
import { io } from 'socket.io-client';

const sockets = [];
let disconnects = 0;
const events = {};

process.on('message', (message) => {
  if (message.type === 'connect') {
    connectAll(message).then((result) => process.send({ type: 'connected', ...result }));
  } else if (message.type === 'status') {
    const connected = sockets.filter((s) => s.connected).length;
    process.send({ type: 'status', connected, disconnects, events });
  } else if (message.type === 'close') {
    for (const socket of sockets) socket.close();
    process.send({ type: 'closed' }, () => process.exit(0));
  }
});

function connectOne(url, token, timeoutMs) {
  return new Promise((resolve) => {
    const socket = io(`${url}/sessions`, {
      auth: { token },
      transports: ['websocket'],
      forceNew: true,
      reconnection: false,
      timeout: timeoutMs,
    });
    const timer = setTimeout(() => finish('client timeout'), timeoutMs);
    function finish(error) {
      clearTimeout(timer);
      socket.off('connect', onConnect);
      socket.off('connect_error', onError);
      if (error) socket.close();
      resolve(error);
    }
    const onConnect = () => finish(undefined);
    const onError = (error) => finish(error.message || 'connect_error');
    socket.on('connect', onConnect);
    socket.on('connect_error', onError);
    socket.on('disconnect', () => disconnects++);
    socket.onAny((event) => (events[event] = (events[event] ?? 0) + 1));
    sockets.push(socket);
  });
}

async function connectAll({ url, tokens, concurrency, timeoutMs, deadline }) {
  const started = performance.now();
  const errors = {};
  let connected = 0;
  let next = 0;
  const lanes = Array.from({ length: Math.min(concurrency, tokens.length) }, async () => {
    // Past the deadline no new connection is started: the scenario reports how many it got.
    while (next < tokens.length && Date.now() < deadline) {
      const error = await connectOne(url, tokens[next++], timeoutMs);
      if (error) errors[error] = (errors[error] ?? 0) + 1;
      else connected++;
    }
  });
  await Promise.all(lanes);
  const notAttempted = tokens.length - next;
  return {
    connected,
    failed: next - connected,
    notAttempted,
    errors,
    ms: performance.now() - started,
  };
}
