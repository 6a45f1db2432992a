import {
  type BeforeApplicationShutdown,
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { SessionCache } from '../cache/session-cache.interface.js';
import { SessionStateService } from '../cache/session-state.service.js';
import { DirectConnection, type DirectClient } from '../persistence/direct-connection.js';
import { RevocationRepository } from '../persistence/revocation.repository.js';
import { REVOCATION_CHANNEL } from '../persistence/session.repository.js';
import { isUuid } from '../persistence/uuid.js';
import { PostgresRevocationTransport } from './postgres-revocation-transport.js';
import type { RevokedElsewhere } from './revocation-propagator.js';

const RECONNECT_MS = 1000;
/** How often presence is looked at, so that an instance that stops listening is remembered. */
const PRESENCE_POLL_MS = 1000;

/**
 * Every revocation through PostgreSQL. Every instance LISTENs here; the NOTIFY that each revoking
 * statement sends names the sessions, and is only a hint (any database client can send one): the
 * rows are re-read and only those revoked in PostgreSQL are acted on:
 * - this process's copies of their states are dropped and the sessions marked revoked in the cache
 *   (with Redis, an instance that cannot reach Redis still commits revocations to PostgreSQL;
 *   whoever can reach Redis relays the mark);
 * - the listeners hear them (the gateway ends their sockets on this instance).
 * Without Redis, this process's copies are trusted only while the feed is live: from the moment the
 * connection fails until it listens again (and has dropped every copy, since notifications sent
 * meanwhile are lost), reads go to PostgreSQL. The same connection carries the PostgreSQL
 * transport of announcements and acks (PostgresRevocationTransport).
 */
@Injectable()
export class RevocationFeed implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('SessionAuthRevocations');
  private client?: DirectClient;
  private stopped = false;
  private retry?: NodeJS.Timeout;
  private presence?: NodeJS.Timeout;
  private readonly listeners: RevokedElsewhere[] = [];

  constructor(
    @Inject(SessionCache) private readonly cache: SessionCache,
    private readonly state: SessionStateService,
    private readonly repository: RevocationRepository,
    private readonly direct: DirectConnection,
    private readonly confirmations: PostgresRevocationTransport,
  ) {}

  /** Whether every revocation committed since it started listening has been heard. */
  get isLive(): boolean {
    return this.client !== undefined;
  }

  onRevokedElsewhere(listener: RevokedElsewhere): void {
    this.listeners.push(listener);
  }

  /** Listening (or retrying in the background) before the app serves its first request. */
  async onApplicationBootstrap(): Promise<void> {
    // A pool of one connection (an embedded PostgreSQL) cannot lend it to LISTEN for good; and
    // one connection means one process, with nobody else to tell.
    if (this.direct.isSingleConnection) {
      this.logger.log('one database connection: revocations are not relayed between instances');
      return;
    }
    this.cache.trustLocalCopies?.(false);
    this.presence = setInterval(() => void this.observePresence(), PRESENCE_POLL_MS);
    this.presence.unref();
    await this.listen();
  }

  /** Before TypeORM closes its pool, which would otherwise wait for this client forever. */
  beforeApplicationShutdown(): void {
    this.stopped = true;
    clearTimeout(this.retry);
    clearInterval(this.presence);
    this.confirmations.attach(undefined);
    this.client?.release(true);
    this.client = undefined;
  }

  private async listen(): Promise<void> {
    if (this.stopped) return;
    let client: DirectClient | undefined;
    try {
      // Never through a transaction pooler: LISTEN needs a connection of its own (see DirectConnection).
      client = await this.direct.connect();
      const listening = client;
      listening.on('notification', ({ channel, payload = '' }) => {
        if (channel !== REVOCATION_CHANNEL) return this.confirmations.received(channel, payload);
        // Synchronous: notifications arrive in commit order, so an announcement that follows a
        // revocation is acknowledged only once that revocation's copies stopped answering.
        this.relay(payload);
      });
      const lost = () => this.lost(listening);
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
      // Notifications sent while nobody listened are lost: drop every in-process copy, then trust
      // the copies made from here on.
      this.cache.dropAllLocalCopies?.();
      this.cache.trustLocalCopies?.(true);
      this.logger.log(`listening for revocations as "${this.confirmations.applicationName}"`);
      void this.observePresence();
    } catch (error) {
      if (client && this.client !== client) client.release(true);
      this.logger.warn(`cannot listen for revocations (${(error as Error).message}); retrying`);
      this.scheduleRetry();
    }
  }

  /** Deaf from now on: no copy made here may answer until it listens again. */
  private lost(listening: DirectClient): void {
    if (this.client !== listening) return;
    this.cache.trustLocalCopies?.(false);
    this.client = undefined;
    this.confirmations.attach(undefined);
    listening.release(true);
    this.logger.warn(
      'lost the revocation feed; reading session state from PostgreSQL until it is back',
    );
    this.scheduleRetry();
  }

  private scheduleRetry(): void {
    if (this.stopped) return;
    clearTimeout(this.retry);
    this.retry = setTimeout(() => void this.listen(), RECONNECT_MS);
    this.retry.unref();
  }

  private async observePresence(): Promise<void> {
    await this.confirmations.observePresence().catch(() => undefined);
  }

  /**
   * At once, this process's copies of the named sessions stop answering (reads go to PostgreSQL,
   * the truth): that is all an acknowledgement needs, so a busy database does not delay it. Only
   * what PostgreSQL confirms is marked revoked and relayed; then the copies may answer again.
   */
  private relay(payload: string): void {
    const ids = payload.split(',').filter(isUuid);
    if (ids.length === 0) return;
    const release = this.state.holdLocalStates(ids);
    void this.confirm(ids).finally(release);
  }

  private async confirm(ids: string[]): Promise<void> {
    try {
      // Through the pool: the listening connection carries the acks, which must not queue behind it.
      const revoked = await this.repository.findRevoked(ids);
      if (revoked.length === 0) return;
      await this.state.markRevoked(revoked);
      for (const listener of this.listeners) listener(revoked);
    } catch (error) {
      this.logger.warn(`could not re-read revoked sessions (${(error as Error).message})`);
    }
  }
}
