import { Injectable } from '@nestjs/common';
import type { DirectClient } from '../persistence/direct-connection.js';
import { RevocationPeer } from './revocation-peer.js';
import type { RevocationTransport } from './revocation-transport.js';

/** NOTIFY channel of announcements: `<request id> <announcing instance>`. */
export const ANNOUNCE_CHANNEL = 'session_auth_revocation_announce';
/** Each instance's own ack channel is this plus its id: `<request id> <acknowledging instance>`. */
const ACK_CHANNEL_PREFIX = 'session_auth_revocation_ack_';
/** `application_name` of every listening connection: how instances find each other. */
const PRESENCE_PREFIX = 'session-auth revocations ';

/** Presence and announcement in one statement, so no listener can slip between the two. */
const ANNOUNCE_SQL = `SELECT pg_notify($1, $2),
  array(SELECT substr(application_name, $3) FROM pg_stat_activity
         WHERE datname = current_database() AND left(application_name, $4) = $5) AS present`;

/**
 * Revocations through PostgreSQL, for instances without Redis (or while it is away). The
 * RevocationFeed's LISTEN connection carries it: it names itself `session-auth revocations <id>`
 * (so `pg_stat_activity` lists exactly the instances listening right now: a process that dies takes
 * its connection, and so its presence, with it), listens on the announcement channel and on its own
 * ack channel, and hands notifications here.
 *
 * The announcement carries no session ids: PostgreSQL delivers notifications in commit order, so
 * every listener receives the revocation's own NOTIFY (sent with the revoking statement) first.
 * An instance acknowledges once it has applied every revocation it received before.
 */
@Injectable()
export class PostgresRevocationTransport implements RevocationTransport {
  readonly name = 'postgres' as const;
  private client?: DirectClient;

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

  async announce(requestId: string): Promise<string[] | undefined> {
    const client = this.client;
    if (!client) return undefined;
    try {
      const { rows } = await client.query(ANNOUNCE_SQL, [
        ANNOUNCE_CHANNEL,
        `${requestId} ${this.peer.instanceId}`,
        PRESENCE_PREFIX.length + 1,
        PRESENCE_PREFIX.length,
        PRESENCE_PREFIX,
      ]);
      const present = (rows[0]?.present ?? []) as string[];
      return present.filter((id) => id !== this.peer.instanceId);
    } catch {
      return undefined;
    }
  }

  /**
   * A notification on one of `channels`. `applied` settles once every revocation this connection
   * received before it has been applied to the local cache.
   */
  received(channel: string, payload: string, applied: () => Promise<void>): void {
    const [requestId, from] = payload.split(' ');
    if (!requestId || !from) return;
    if (channel !== ANNOUNCE_CHANNEL) return this.peer.acks.ack(requestId, from);
    if (from === this.peer.instanceId) return;
    void applied()
      .then(() =>
        this.client?.query('SELECT pg_notify($1, $2)', [
          ACK_CHANNEL_PREFIX + from,
          `${requestId} ${this.peer.instanceId}`,
        ]),
      )
      .catch(() => undefined); // no ack: the announcer waits its bounded time and says so
  }
}
