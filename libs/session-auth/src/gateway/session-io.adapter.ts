import type { INestApplicationContext } from '@nestjs/common';
import { IoAdapter } from '@nestjs/platform-socket.io';
import type { createAdapter } from '@socket.io/redis-adapter';
import type { Cluster, Redis } from 'ioredis';
import type { Server, ServerOptions } from 'socket.io';
import { closeRedis, duplicateRedis, type RedisConnection } from '../redis/redis-connection.js';

/** Largest message a client may send: the gateway expects none, so keep it small. */
const MAX_CLIENT_MESSAGE_BYTES = 16 * 1024;

/**
 * The socket.io adapter behind `SessionIoAdapter.create(app)`. With Redis it fans events and
 * disconnects out to every instance (`@socket.io/redis-adapter`); without, it broadcasts locally.
 * A Redis outage never crashes it: publishes that cannot reach Redis are dropped (local sockets
 * still get them) and subscriptions resume when Redis returns.
 */
export class SessionIoServerAdapter extends IoAdapter {
  private readonly clients: (Redis | Cluster)[] = [];

  constructor(
    app: INestApplicationContext,
    private readonly redis: RedisConnection,
    private readonly redisAdapter?: typeof createAdapter,
  ) {
    super(app);
  }

  override createIOServer(port: number, options?: ServerOptions): Server {
    const server = super.createIOServer(port, {
      maxHttpBufferSize: MAX_CLIENT_MESSAGE_BYTES,
      ...options,
    } as ServerOptions) as Server;
    const { client: redis, keyPrefix } = this.redis;
    if (!redis || !this.redisAdapter) return server;
    const pub = duplicateRedis(redis, { enableOfflineQueue: false, maxRetriesPerRequest: 1 });
    // Subscriptions wait for a connection instead of failing, and ioredis renews them on reconnect.
    const sub = duplicateRedis(redis, { enableOfflineQueue: true, maxRetriesPerRequest: null });
    for (const client of [pub, sub]) {
      client.on('error', () => undefined); // the session cache already logs the outage once
      this.clients.push(client);
    }
    server.adapter(
      this.redisAdapter(droppingPublishes(pub), sub, { key: `${keyPrefix}socket.io` }),
    );
    return server;
  }

  override async close(server: Server): Promise<void> {
    await super.close(server);
    await Promise.all(this.clients.splice(0).map((client) => closeRedis(client)));
  }
}

/** The adapter fires publishes without handling their errors; catch them so an outage is not a crash. */
function droppingPublishes<T extends Redis | Cluster>(client: T): T {
  return new Proxy(client, {
    get(target, property, receiver) {
      if (property === 'publish') {
        return (...args: Parameters<Redis['publish']>) =>
          (target as Redis).publish(...args).catch(() => 0);
      }
      const value = Reflect.get(target, property, receiver);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}
