import type { Cluster, Redis } from 'ioredis';
import { closeRedis, duplicateRedis } from '../redis/redis-connection.js';
import { isUuid } from '../persistence/uuid.js';
import type { MessageSigner } from './message-signer.js';
import { PRESENCE_HEARTBEAT_MS, RedisPresence } from './redis-presence.js';

/** Where an instance listens and acknowledges (see RedisRevocationTransport). */
export interface ListenerChannels {
  readonly announceChannel: string;
  /** The ack channel of instance `x` is this followed by `x`. */
  readonly ackPrefix: string;
  readonly presenceKey: string;
  readonly instanceId: string;
}

/** What a listener reports to whoever runs it. */
export interface ListenerEvents {
  /** Another instance revoked these sessions: forget the local copies (before the ack goes out). */
  drop(sessionIds: string[]): void;
  /** Instance `from` acknowledged this instance's announcement `requestId`. */
  ack(requestId: string, from: string): void;
  /** Subscribed and present (`true`), or no longer listening (`false`). */
  listening(live: boolean): void;
}

/**
 * One instance's side of the Redis transport: subscribed to the announcements and to its own ack
 * channel, present (RedisPresence) while subscribed, answering every signed announcement of
 * another instance with a signed ack right after `drop`. It runs in the revocation thread (so a
 * busy event loop does not delay the ack) or, where that thread cannot start, on the main thread.
 */
export class RevocationListener {
  private readonly presence: RedisPresence;
  private subscriber?: Redis | Cluster;
  private subscribed = false;
  private leaving = false;
  private heartbeat?: NodeJS.Timeout;

  constructor(
    private readonly client: Redis | Cluster,
    private readonly channels: ListenerChannels,
    private readonly signer: MessageSigner,
    private readonly events: ListenerEvents,
  ) {
    this.presence = new RedisPresence(client, channels.presenceKey, channels.instanceId);
  }

  start(): void {
    this.subscriber = this.subscribe();
    this.heartbeat = setInterval(() => void this.renew(), PRESENCE_HEARTBEAT_MS);
    this.heartbeat.unref();
  }

  /** Leaves at once, so nobody waits for this instance; it still answers until closed. */
  async leave(): Promise<void> {
    this.leaving = true;
    clearInterval(this.heartbeat);
    await this.presence.leave().catch(() => undefined);
  }

  async close(): Promise<void> {
    clearInterval(this.heartbeat);
    this.subscribed = false;
    if (this.subscriber) await closeRedis(this.subscriber);
  }

  private subscribe(): Redis | Cluster {
    const subscriber = duplicateRedis(this.client, {
      enableOfflineQueue: true,
      maxRetriesPerRequest: null,
      autoResubscribe: false,
    });
    subscriber.on('error', () => undefined); // the cache's client already reports the outage
    const lost = () => {
      if (!this.subscribed) return;
      this.subscribed = false;
      this.events.listening(false);
      // Not listening: nobody must wait for this instance (its entry also lapses by itself).
      void this.presence.leave().catch(() => undefined);
    };
    for (const event of ['close', 'end', 'reconnecting']) subscriber.on(event, lost);
    subscriber.on('ready', () => {
      const ackChannel = this.channels.ackPrefix + this.channels.instanceId;
      subscriber.subscribe(this.channels.announceChannel, ackChannel).then(() => {
        this.subscribed = true;
        void this.renew();
      }, lost);
    });
    subscriber.on('message', (channel: string, message: string) => this.received(channel, message));
    return subscriber;
  }

  /** Signed messages only (see MessageSigner); ids that are not uuids name no cache key. */
  private received(channel: string, signed: string): void {
    const isAnnouncement = channel === this.channels.announceChannel;
    const message = this.signer.open(isAnnouncement ? 'announce' : 'ack', signed);
    const [requestId, from, ids] = message?.split(' ') ?? [];
    if (!requestId || !from) return;
    if (!isAnnouncement) return this.events.ack(requestId, from);
    if (from === this.channels.instanceId) return;
    this.events.drop((ids ?? '').split(',').filter(isUuid));
    const reply = this.signer.sign('ack', `${requestId} ${this.channels.instanceId}`);
    this.client.publish(this.channels.ackPrefix + from, reply).catch(() => undefined);
  }

  private async renew(): Promise<void> {
    if (!this.subscribed || this.leaving) return;
    try {
      await this.presence.renew();
      // Lost the subscription (or began to leave) while renewing: take the entry back out.
      if (!this.subscribed || this.leaving) return void (await this.presence.leave());
      this.events.listening(true);
    } catch {
      // Redis is away: the entry lapses, and the next heartbeat after it returns renews it.
    }
  }
}
