import {
  type BeforeApplicationShutdown,
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { SessionCache } from '../cache/session-cache.interface.js';
import { PostgresRevocationTransport } from './postgres-revocation-transport.js';
import { DirectConnection, type DirectClient } from '../persistence/direct-connection.js';
import { REVOCATION_CHANNEL } from '../persistence/revocation-channel.js';
import { SessionStateService } from '../cache/session-state.service.js';

const RECONNECT_MS = 1000;

/**
 * The second path of a revocation, through PostgreSQL instead of the cache. Every instance LISTENs
 * here and, for each revoked id, marks it revoked in its own cache:
 * - with Redis, an instance that cannot reach Redis still commits revocations to PostgreSQL but
 *   cannot overwrite the cached "active" entries the others keep reading: whoever can reach Redis
 *   relays it (and drops its in-process copy);
 * - without Redis, each instance keeps session state in its own process: this feed is how a
 *   revocation on one instance reaches the entries of every other one, within a round trip.
 * The same connection carries the PostgreSQL transport of revocation acknowledgements (its
 * announcements and acks; see PostgresRevocationTransport).
 */
@Injectable()
export class RevocationFeed implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('SessionAuthRevocations');
  private client?: DirectClient;
  private stopped = false;
  private retry?: NodeJS.Timeout;
  /** Revocations received and not yet applied: an announcement is acknowledged after them. */
  private readonly applying = new Set<Promise<void>>();

  constructor(
    @Inject(SessionCache) private readonly cache: SessionCache,
    private readonly state: SessionStateService,
    private readonly direct: DirectConnection,
    private readonly confirmations: PostgresRevocationTransport,
  ) {}

  /** Listening (or retrying in the background) before the app serves its first request. */
  async onApplicationBootstrap(): Promise<void> {
    await this.listen();
  }

  /** Before TypeORM closes its pool, which would otherwise wait for this client forever. */
  beforeApplicationShutdown(): void {
    this.stopped = true;
    clearTimeout(this.retry);
    this.confirmations.attach(undefined);
    this.client?.release(true);
    this.client = undefined;
  }

  private async listen(): Promise<void> {
    if (this.stopped) return;
    let client: DirectClient | undefined;
    try {
      // A pool of one connection (an embedded PostgreSQL) cannot lend it to LISTEN for good; and
      // one connection means one process, with nobody else to tell.
      if (this.direct.isSingleConnection) {
        this.logger.log('one database connection: revocations are not relayed between instances');
        return;
      }
      // Never through a transaction pooler: LISTEN needs a connection of its own (see DirectConnection).
      client = await this.direct.connect();
      const listening = client;
      listening.on('notification', ({ channel, payload = '' }) => {
        if (channel !== REVOCATION_CHANNEL)
          return this.confirmations.received(channel, payload, () => this.applied());
        if (payload) this.track(this.relay(payload));
      });
      const lost = () => {
        if (this.client !== listening) return;
        this.client = undefined;
        this.confirmations.attach(undefined);
        listening.release(true);
        this.scheduleRetry();
      };
      listening.on('error', lost);
      listening.on('end', lost);
      for (const channel of [REVOCATION_CHANNEL, ...this.confirmations.channels])
        await client.query(`LISTEN ${channel}`);
      // Present (listed in pg_stat_activity under this name) only once it hears announcements.
      await client.query(`SELECT set_config('application_name', $1, false)`, [
        this.confirmations.applicationName,
      ]);
      if (this.stopped) return client.release(true);
      this.client = client;
      this.confirmations.attach(client);
      // Notifications sent while nobody listened are lost: drop every in-process copy once.
      this.cache.dropLocalCopies?.();
    } catch (error) {
      if (client && this.client !== client) client.release(true);
      this.logger.warn(`cannot listen for revocations (${(error as Error).message}); retrying`);
      this.scheduleRetry();
    }
  }

  private scheduleRetry(): void {
    if (this.stopped) return;
    clearTimeout(this.retry);
    this.retry = setTimeout(() => void this.listen(), RECONNECT_MS);
    this.retry.unref();
  }

  private track(relay: Promise<void>): void {
    const settled = relay.catch(() => undefined).finally(() => this.applying.delete(settled));
    this.applying.add(settled);
  }

  /** Settles once every revocation received so far has been applied. */
  private async applied(): Promise<void> {
    await Promise.all([...this.applying]);
  }

  private async relay(payload: string): Promise<void> {
    const ids = payload.split(',').filter(Boolean);
    // At once, before a Redis that may be slow to answer: no in-process copy serves it meanwhile.
    this.state.dropLocalCopies(ids);
    // The user id does not matter for a revoked entry: the guard refuses it whatever the owner.
    await this.state.markRevoked(ids.map((id) => ({ id, userId: '' })));
  }
}
