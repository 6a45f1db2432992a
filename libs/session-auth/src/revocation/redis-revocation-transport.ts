import {
  type BeforeApplicationShutdown,
  Inject,
  Injectable,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import type { Cluster, Redis } from 'ioredis';
import type { RedisClientLike } from '../redis/redis-client.js';
import { closeRedis, duplicateRedis, RedisConnection } from '../redis/redis-connection.js';
import { SessionCache } from '../cache/session-cache.interface.js';
import { SESSION_AUTH_RESOLVED_OPTIONS } from '../session-auth.internal-tokens.js';
import type { ResolvedSessionAuthOptions } from '../config/session-auth.options.js';
import { SessionStateService } from '../cache/session-state.service.js';
import { PRESENCE_HEARTBEAT_MS, RedisPresence } from './redis-presence.js';
import { RevocationPeer } from './revocation-peer.js';
import type { RevocationTransport } from './revocation-transport.js';
import { isUuid } from '../persistence/uuid.js';

/** How long start-up waits for this instance to be present before it serves without it. */
const FIRST_REGISTRATION_MS = 2000;

/**
 * Revocations through Redis. Every instance subscribes to `<prefix>revocation:announce` and to its
 * own `<prefix>revocation:ack:<instance id>`, and is present (RedisPresence) while subscribed. An
 * announcement carries the request id, the announcing instance and the session ids; each other
 * instance drops its in-process copies of those sessions (the shared entry already says "revoked",
 * so its next read refuses) and publishes `<request id> <its id>` on the announcer's ack channel.
 * Classic pub/sub and one-key scripts: the same on a Redis Cluster.
 */
@Injectable()
export class RedisRevocationTransport
  implements
    RevocationTransport,
    OnApplicationBootstrap,
    BeforeApplicationShutdown,
    OnApplicationShutdown
{
  readonly name = 'redis' as const;
  private readonly client?: Redis | Cluster;
  private readonly presence?: RedisPresence;
  private readonly announceChannel: string;
  private readonly ackPrefix: string;
  private subscriber?: Redis | Cluster;
  private subscribed = false;
  private leaving = false;
  private heartbeat?: NodeJS.Timeout;
  private registered?: () => void;

  constructor(
    // Typed by shape: this constructor is in the package's types, which never name ioredis.
    @Inject(RedisConnection) redis: { readonly client?: RedisClientLike },
    @Inject(SESSION_AUTH_RESOLVED_OPTIONS) options: ResolvedSessionAuthOptions,
    @Inject(SessionCache) private readonly cache: SessionCache,
    private readonly state: SessionStateService,
    private readonly peer: RevocationPeer,
  ) {
    const prefix = options.redisKeyPrefix;
    this.announceChannel = `${prefix}revocation:announce`;
    this.ackPrefix = `${prefix}revocation:ack:`;
    // A client without duplicate() (a stand-in in an app's tests) cannot subscribe: PostgreSQL only.
    const client = redis.client as Redis | Cluster | undefined;
    if (typeof client?.duplicate !== 'function') return;
    this.client = client;
    this.presence = new RedisPresence(client, `${prefix}revocation:instances`, peer.instanceId);
  }

  /** Subscribed, and the shared cache answers (so the announced sessions are marked there). */
  isReady(): boolean {
    return this.subscribed && this.cache.isAvailable();
  }

  async announce(requestId: string, sessionIds: string[]): Promise<string[] | undefined> {
    if (!this.presence || !this.isReady()) return undefined;
    const message = this.peer.signer.sign(
      'announce',
      `${requestId} ${this.peer.instanceId} ${sessionIds.join(',')}`,
    );
    try {
      const present = await this.presence.announce(this.announceChannel, message);
      return present.filter((id) => id !== this.peer.instanceId);
    } catch {
      return undefined;
    }
  }

  /** Present before the app serves its first request, when Redis answers within 2 s. */
  async onApplicationBootstrap(): Promise<void> {
    if (!this.client) return;
    const registered = new Promise<void>((resolve) => {
      this.registered = resolve;
      setTimeout(resolve, FIRST_REGISTRATION_MS).unref();
    });
    this.subscriber = this.subscribe(this.client);
    this.heartbeat = setInterval(() => void this.renew(), PRESENCE_HEARTBEAT_MS);
    this.heartbeat.unref();
    await registered;
  }

  /** Leaves at once, so nobody waits for this instance; it still answers until its connection closes. */
  async beforeApplicationShutdown(): Promise<void> {
    this.leaving = true;
    clearInterval(this.heartbeat);
    await this.presence?.leave().catch(() => undefined);
  }

  async onApplicationShutdown(): Promise<void> {
    this.subscribed = false;
    if (this.subscriber) await closeRedis(this.subscriber);
  }

  private subscribe(client: Redis | Cluster): Redis | Cluster {
    const subscriber = duplicateRedis(client, {
      enableOfflineQueue: true,
      maxRetriesPerRequest: null,
      autoResubscribe: false,
    });
    subscriber.on('error', () => undefined); // the cache's client already reports the outage
    const lost = () => {
      if (!this.subscribed) return;
      this.subscribed = false;
      // Not listening: nobody must wait for this instance (its entry also lapses by itself).
      void this.presence?.leave().catch(() => undefined);
    };
    for (const event of ['close', 'end', 'reconnecting']) subscriber.on(event, lost);
    subscriber.on('ready', () => {
      const ackChannel = this.ackPrefix + this.peer.instanceId;
      subscriber.subscribe(this.announceChannel, ackChannel).then(() => {
        this.subscribed = true;
        void this.renew();
      }, lost);
    });
    subscriber.on('message', (channel: string, message: string) => this.received(channel, message));
    return subscriber;
  }

  /** Signed messages only (see MessageSigner); ids that are not uuids name no cache key. */
  private received(channel: string, signed: string): void {
    const isAnnouncement = channel === this.announceChannel;
    const message = this.peer.signer.open(isAnnouncement ? 'announce' : 'ack', signed);
    const [requestId, from, ids] = message?.split(' ') ?? [];
    if (!requestId || !from) return;
    if (!isAnnouncement) return this.peer.acks.ack(requestId, from);
    if (from === this.peer.instanceId) return;
    this.state.dropLocalStates((ids ?? '').split(',').filter(isUuid));
    const reply = this.peer.signer.sign('ack', `${requestId} ${this.peer.instanceId}`);
    this.client!.publish(this.ackPrefix + from, reply).catch(() => undefined);
  }

  private async renew(): Promise<void> {
    if (!this.subscribed || this.leaving) return;
    try {
      await this.presence!.renew();
      // Lost the subscription (or began to leave) while renewing: take the entry back out.
      if (!this.subscribed || this.leaving) return void (await this.presence!.leave());
      this.registered?.();
      this.registered = undefined;
    } catch {
      // Redis is away: the entry lapses, and the next heartbeat after it returns renews it.
    }
  }
}
