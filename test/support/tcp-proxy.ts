import { connect, createServer, type Server, type Socket } from 'node:net';
import { testEnv } from './env.js';

// A TCP proxy a test controls, to put between an app and a backend (PostgreSQL) and break the path
// on demand without touching the backend, which other suites of the run share:
//   cut()     - destroys every open connection and stops listening: new connections are refused;
//   stall()   - keeps every connection open but forwards nothing either way, and accepts new
//               connections without ever connecting them upstream (a black hole, as when a network
//               path silently drops packets);
//   restore() - forwards again (listening again on the same port after a cut).

export interface TcpProxy {
  /** The proxy's own port on 127.0.0.1. */
  readonly port: number;
  readonly mode: 'forwarding' | 'cut' | 'stalled';
  /** Client connections currently open through the proxy. */
  openConnections(): number;
  /** Client connections accepted since the start. */
  acceptedConnections(): number;
  cut(): Promise<void>;
  stall(): void;
  restore(): Promise<void>;
  /** Stops the proxy for good. */
  close(): Promise<void>;
}

interface Pair {
  client: Socket;
  upstream?: Socket;
}

export async function startTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  const pairs = new Set<Pair>();
  let mode: TcpProxy['mode'] = 'forwarding';
  let accepted = 0;
  let port = 0;

  const destroy = (pair: Pair): void => {
    pairs.delete(pair);
    pair.client.destroy();
    pair.upstream?.destroy();
  };

  const onConnection = (client: Socket): void => {
    accepted++;
    const pair: Pair = { client };
    pairs.add(pair);
    client.on('error', () => destroy(pair));
    client.on('close', () => destroy(pair));
    if (mode === 'stalled') {
      client.on('data', () => undefined); // read and drop: nothing ever answers
      return;
    }
    const upstream = connect(target);
    pair.upstream = upstream;
    upstream.on('error', () => destroy(pair));
    upstream.on('close', () => destroy(pair));
    client.pipe(upstream);
    upstream.pipe(client);
  };

  let server: Server = createServer(onConnection);
  const listen = (s: Server, onPort: number): Promise<number> =>
    new Promise((resolve, reject) => {
      s.once('error', reject);
      s.listen(onPort, '127.0.0.1', () => {
        s.off('error', reject);
        resolve((s.address() as { port: number }).port);
      });
    });
  const closeServer = (s: Server): Promise<void> =>
    new Promise((resolve) => (s.listening ? s.close(() => resolve()) : resolve()));

  port = await listen(server, 0);

  return {
    port,
    get mode() {
      return mode;
    },
    openConnections: () => pairs.size,
    acceptedConnections: () => accepted,
    async cut() {
      mode = 'cut';
      const closed = closeServer(server);
      [...pairs].forEach(destroy);
      await closed;
    },
    stall() {
      mode = 'stalled';
      for (const pair of pairs) {
        pair.client.unpipe();
        pair.upstream?.unpipe();
        pair.client.on('data', () => undefined);
        pair.upstream?.on('data', () => undefined);
      }
    },
    async restore() {
      if (mode === 'stalled') [...pairs].forEach(destroy);
      if (!server.listening) {
        server = createServer(onConnection);
        await listen(server, port);
      }
      mode = 'forwarding';
    },
    async close() {
      mode = 'cut';
      const closed = closeServer(server);
      [...pairs].forEach(destroy);
      await closed;
    },
  };
}

/** A proxy in front of the run's PostgreSQL, and the run's database URL through it. */
export async function startDatabaseProxy(): Promise<{ proxy: TcpProxy; url: string }> {
  const database = new URL(testEnv().databaseUrl);
  const proxy = await startTcpProxy({
    host: database.hostname,
    port: Number(database.port || 5432),
  });
  const viaProxy = new URL(database);
  viaProxy.hostname = '127.0.0.1';
  viaProxy.port = String(proxy.port);
  return { proxy, url: viaProxy.toString() };
}
