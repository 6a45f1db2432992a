import {
  type BeforeApplicationShutdown,
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import type { Cluster, Redis } from 'ioredis';
import type { RedisClientLike } from '../redis/redis-client.js';
import { RedisConnection } from '../redis/redis-connection.js';
import { SessionCache } from '../cache/session-cache.interface.js';
import { SESSION_AUTH_RESOLVED_OPTIONS } from '../session-auth.internal-tokens.js';
import type { ResolvedSessionAuthOptions } from '../config/session-auth.options.js';
import { SessionStateService } from '../cache/session-state.service.js';
import { RedisPresence } from './redis-presence.js';
import { RevocationPeer } from './revocation-peer.js';
import type { RevocationTransport } from './revocation-transport.js';
import {
  type ListenerChannels,
  type ListenerEvents,
  RevocationListener,
} from './revocation-listener.js';
import { RevocationThread } from './revocation-thread-host.js';

/** How long start-up waits for this instance to be present before it serves without it. */
const FIRST_REGISTRATION_MS = 2000;

/**
 * Revocations through Redis. Every instance subscribes to `<prefix>revocation:announce` and to its
 * own `<prefix>revocation:ack:<instance id>`, and is present (RedisPresence) while subscribed. An
 * announcement carries the request id, the announcing instance and the session ids; each other
 * instance drops its in-process copies of those sessions (the shared entry already says "revoked",
 * so its next read refuses) and publishes `<request id> <its id>` on the announcer's ack channel.
 * Classic pub/sub and one-key scripts: the same on a Redis Cluster.
 *
 * With a Redis URL, the listening side (RevocationListener) runs in a worker thread with its own
 * connection, so a busy event loop here never delays an ack: the thread writes the dropped ids to
 * shared memory, which SessionStateService reads before it trusts any local copy. With a client
 * passed in (it cannot cross threads), or from TypeScript sources, it runs on the main thread.
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
  private readonly logger = new Logger('SessionAuthRevocations');
  private readonly client?: Redis | Cluster;
  private readonly presence?: RedisPresence;
  private readonly channels: ListenerChannels;
  private listener?: RevocationListener;
  private thread?: RevocationThread;
  private listening = false;
  private registered?: () => void;

  constructor(
    // Typed by shape: this constructor is in the package's types, which never name ioredis.
    @Inject(RedisConnection) redis: { readonly client?: RedisClientLike },
    @Inject(SESSION_AUTH_RESOLVED_OPTIONS) private readonly options: ResolvedSessionAuthOptions,
    @Inject(SessionCache) private readonly cache: SessionCache,
    private readonly state: SessionStateService,
    private readonly peer: RevocationPeer,
  ) {
    const prefix = options.redisKeyPrefix;
    this.channels = {
      announceChannel: `${prefix}revocation:announce`,
      ackPrefix: `${prefix}revocation:ack:`,
      presenceKey: `${prefix}revocation:instances`,
      instanceId: peer.instanceId,
    };
    // A client without duplicate() (a stand-in in an app's tests) cannot subscribe: PostgreSQL only.
    const client = redis.client as Redis | Cluster | undefined;
    if (typeof client?.duplicate !== 'function') return;
    this.client = client;
    this.presence = new RedisPresence(client, this.channels.presenceKey, peer.instanceId);
  }

  /** Listening and present, and the shared cache answers (so the announced sessions are marked there). */
  isReady(): boolean {
    return this.listening && this.cache.isAvailable();
  }

  async announce(requestId: string, sessionIds: string[]): Promise<string[] | undefined> {
    if (!this.presence || !this.isReady()) return undefined;
    const message = this.peer.signer.sign(
      'announce',
      `${requestId} ${this.peer.instanceId} ${sessionIds.join(',')}`,
    );
    try {
      const present = await this.presence.announce(this.channels.announceChannel, message);
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
    this.thread = this.startThread();
    if (!this.thread) this.listenHere();
    await registered;
  }

  /** Leaves at once, so nobody waits for this instance; it still answers until its connection closes. */
  async beforeApplicationShutdown(): Promise<void> {
    await (this.thread ?? this.listener)?.leave();
  }

  async onApplicationShutdown(): Promise<void> {
    this.listening = false;
    const thread = this.thread;
    this.thread = undefined;
    await (thread ?? this.listener)?.close();
  }

  private readonly events: Omit<ListenerEvents, 'drop'> = {
    ack: (requestId, from) => this.peer.acks.ack(requestId, from),
    listening: (live) => {
      this.listening = live;
      if (!live) return;
      this.registered?.();
      this.registered = undefined;
    },
  };

  private startThread(): RevocationThread | undefined {
    if (typeof this.options.redis !== 'string') return undefined;
    const thread = RevocationThread.start(
      {
        url: this.options.redis,
        channels: this.channels,
        secrets: this.options.refreshTokenKeys.map((k) => k.key),
      },
      this.events,
      (error) => {
        if (this.thread !== thread) return;
        this.thread = undefined;
        this.state.stopFollowingDrops();
        this.logger.warn(
          `the revocation thread stopped (${error?.message ?? 'exited'}); listening on the main thread`,
        );
        this.listenHere();
      },
    );
    if (thread) this.state.followDrops(() => thread.drops.take());
    return thread;
  }

  private listenHere(): void {
    this.listener = new RevocationListener(this.client!, this.channels, this.peer.signer, {
      ...this.events,
      drop: (sessionIds) => this.state.dropLocalStates(sessionIds),
    });
    this.listener.start();
  }
}
