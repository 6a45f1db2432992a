import type { INestApplicationContext, WebSocketAdapter } from '@nestjs/common';
import { RedisConnection } from '../redis/redis-connection.js';
import { importOptionalPeer, lazyModule } from '../utils/optional-peer.js';

/**
 * The socket.io adapter for the session gateway (`gateway: true`). With Redis configured, socket
 * events and disconnects reach sockets on every instance through `@socket.io/redis-adapter`;
 * without, they stay on this instance. It loads its packages (`@nestjs/platform-socket.io`, and
 * `@socket.io/redis-adapter` with Redis) only when created.
 *
 * @example
 * ```ts
 * const app = await NestFactory.create(AppModule);
 * app.useWebSocketAdapter(await SessionIoAdapter.create(app));
 * ```
 */
export abstract class SessionIoAdapter {
  /** Builds the adapter for `app`, whose SessionAuthModule decides between Redis and local fan-out. */
  static async create(app: INestApplicationContext): Promise<WebSocketAdapter> {
    const { SessionIoServerAdapter } = await importOptionalPeer(
      '@nestjs/platform-socket.io',
      'SessionIoAdapter',
      lazyModule(
        () => require('./session-io.adapter.js'),
        () => import('./session-io.adapter.js'),
      ),
    );
    // The one look-up: the adapter is built from the application (main.ts), outside every module,
    // so only `strict: false` reaches the session module's Redis connection.
    const redis = app.get(RedisConnection, { strict: false });
    const redisAdapter = redis.client
      ? (
          await importOptionalPeer(
            '@socket.io/redis-adapter',
            'SessionIoAdapter with Redis',
            lazyModule(
              () => require('@socket.io/redis-adapter'),
              () => import('@socket.io/redis-adapter'),
            ),
          )
        ).createAdapter
      : undefined;
    return new SessionIoServerAdapter(app, redis, redisAdapter);
  }
}
