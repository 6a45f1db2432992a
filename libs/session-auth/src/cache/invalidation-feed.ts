import type { Cluster, Redis } from 'ioredis';
import { closeRedis, duplicateRedis } from '../redis/redis-connection.js';

/**
 * The subscription that keeps in-process copies honest: a dedicated connection on
 * `<prefix>invalidate` that hands every published key to `onKey`. `onLive` runs once it is
 * subscribed, `onLost` whenever it may have missed a message (closed, reconnecting).
 */
export class InvalidationFeed {
  private subscriber?: Redis | Cluster;
  private subscribed = false;

  constructor(
    private readonly channel: string,
    private readonly handlers: { onKey(key: string): void; onLive(): void; onLost(): void },
  ) {}

  /** Whether every message since the last `onLive` has been received. */
  get isLive(): boolean {
    return this.subscribed;
  }

  /** Subscribes on a duplicate of `client`; a client that cannot duplicate (a stand-in) has no feed. */
  start(client: Redis | Cluster): void {
    if (typeof (client as Redis).duplicate !== 'function') return;
    const subscriber = duplicateRedis(client, {
      enableOfflineQueue: true,
      maxRetriesPerRequest: null,
      autoResubscribe: false,
    });
    subscriber.on('error', () => undefined); // the main client already reports the outage
    const lost = () => {
      this.subscribed = false;
      this.handlers.onLost();
    };
    for (const event of ['close', 'end', 'reconnecting']) subscriber.on(event, lost);
    subscriber.on('ready', () => {
      subscriber.subscribe(this.channel).then(() => {
        this.subscribed = true;
        this.handlers.onLive();
      }, lost);
    });
    subscriber.on('message', (_channel: string, key: string) => this.handlers.onKey(key));
    this.subscriber = subscriber;
  }

  async close(): Promise<void> {
    if (this.subscriber) await closeRedis(this.subscriber);
  }
}
