import { Injectable } from '@nestjs/common';
import type { DirectClient } from '../persistence/direct-connection.js';
import { RevocationPeer } from './revocation-peer.js';
import type { RevocationTransport } from './revocation-transport.js';
import { PRESENCE_TTL_MS } from './redis-presence.js';

/** NOTIFY channel of announcements: `<request id> <announcing instance> <mac>`. */
export const ANNOUNCE_CHANNEL = 'session_auth_revocation_announce';
/** Each instance's own ack channel is this plus its id: `<request id> <acknowledging instance> <mac>`. */
const ACK_CHANNEL_PREFIX = 'session_auth_revocation_ack_';
/** `application_name` of every listening connection: how instances find each other. */
const PRESENCE_PREFIX = 'session-auth revocations ';
/**
 * An instance that stopped listening this recently is still waited for (and so reported when it
 * does not confirm): a deaf instance must not make a revocation look confirmed by vanishing. As
 * long as a Redis presence entry outlives its instance.
 */
export const RECENTLY_LEFT_MS = PRESENCE_TTL_MS;

/**
 * The listening connections of this app's own role in this database: another role (any role may
 * connect and set any `application_name`) is never counted as an instance.
 */
const PRESENT_SQL = `array(SELECT substr(application_name, $1) FROM pg_stat_activity
  WHERE datname = current_database() AND usename = current_user
    AND left(application_name, $2) = $3) AS present`;
/** Presence and announcement in one statement, so no listener can slip between the two. */
const ANNOUNCE_SQL = `SELECT ${PRESENT_SQL}, pg_notify($4, $5)`;

/**
 * Revocations through PostgreSQL, for instances without Redis (or while it is away). The
 * RevocationFeed's LISTEN connection carries it: it names itself `session-auth revocations <id>`
 * (so `pg_stat_activity` lists exactly the instances listening right now: a process that dies takes
 * its connection, and so its presence, with it), listens on the announcement channel and on its own
 * ack channel, and hands notifications here. Messages are signed (MessageSigner): an unsigned
 * announcement or ack, which any database client can send, is ignored.
 *
 * The announcement carries no session ids: PostgreSQL delivers notifications in commit order, so
 * every listener receives the revocation's own NOTIFY (sent with the revoking statement) first,
 * and has applied it (its copies no longer answer) by the time it acknowledges.
 */
@Injectable()
export class PostgresRevocationTransport implements RevocationTransport {
  readonly name = 'postgres' as const;
  private client?: DirectClient;
  /** Instances seen present, and when (performance.now() ms). */
  private readonly seen = new Map<string, number>();

  constructor(private readonly peer: RevocationPeer) {}

  /** What the listening connection sets as its `application_name`. */
  get applicationName(): string {
    return PRESENCE_PREFIX + this.peer.instanceId;
  }

  /** The channels the listening connection must LISTEN to, besides the revocations. */
  get channels(): string[] {
    return [ANNOUNCE_CHANNEL, ACK_CHANNEL_PREFIX + this.peer.instanceId];
  }

  /** The feed's listening connection, once it listens (`undefined` while it does not). */
  attach(client: DirectClient | undefined): void {
    this.client = client;
  }

  isReady(): boolean {
    return this.client !== undefined;
  }

  /** Notes who is present now (the feed calls this every second), so a departure is remembered. */
  async observePresence(): Promise<void> {
    const client = this.client;
    if (!client) return;
    const { rows } = await client.query(`SELECT ${PRESENT_SQL}`, this.presenceParams());
    this.present(rows);
  }

  async announce(requestId: string): Promise<string[] | undefined> {
    const client = this.client;
    if (!client) return undefined;
    try {
      const message = this.peer.signer.sign('announce', `${requestId} ${this.peer.instanceId}`);
      const { rows } = await client.query(ANNOUNCE_SQL, [
        ...this.presenceParams(),
        ANNOUNCE_CHANNEL,
        message,
      ]);
      return this.present(rows);
    } catch {
      return undefined;
    }
  }

  /**
   * A notification on one of `channels`. The feed handles notifications in the order they
   * arrive, so the revocations announced here (their NOTIFYs came first) are already applied.
   */
  received(channel: string, payload: string): void {
    const isAnnouncement = channel === ANNOUNCE_CHANNEL;
    const message = this.peer.signer.open(isAnnouncement ? 'announce' : 'ack', payload);
    const [requestId, from] = message?.split(' ') ?? [];
    if (!requestId || !from) return;
    if (!isAnnouncement) return this.peer.acks.ack(requestId, from);
    if (from === this.peer.instanceId) return;
    const ack = this.peer.signer.sign('ack', `${requestId} ${this.peer.instanceId}`);
    // No ack: the announcer waits its bounded time and says so.
    this.client
      ?.query('SELECT pg_notify($1, $2)', [ACK_CHANNEL_PREFIX + from, ack])
      .catch(() => undefined);
  }

  private presenceParams(): unknown[] {
    return [PRESENCE_PREFIX.length + 1, PRESENCE_PREFIX.length, PRESENCE_PREFIX];
  }

  /**
   * Every other instance present now, and every one that left within RECENTLY_LEFT_MS: it cannot
   * have heard the announcement, so it must be reported, not silently forgotten.
   */
  private present(rows: { present?: string[] }[]): string[] {
    const now = performance.now();
    for (const id of rows[0]?.present ?? []) this.seen.set(id, now);
    for (const [id, at] of this.seen) if (now - at > RECENTLY_LEFT_MS) this.seen.delete(id);
    return [...this.seen.keys()].filter((id) => id !== this.peer.instanceId);
  }
}
