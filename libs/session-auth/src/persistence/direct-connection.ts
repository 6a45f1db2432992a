import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { SESSION_AUTH_RESOLVED_OPTIONS } from '../session-auth.internal-tokens.js';
import type { ResolvedSessionAuthOptions } from '../config/session-auth.options.js';

/** A connection of its own, held across statements (LISTEN, session-level advisory locks). */
export interface DirectClient {
  query(sql: string, params?: unknown[]): Promise<{ rows: any[] }>;
  on(
    event: 'notification',
    listener: (message: { channel: string; payload?: string }) => void,
  ): void;
  on(event: 'error' | 'end', listener: (error?: Error) => void): void;
  /** Back to its pool; `true` closes it instead (after an error, or to end a LISTEN). */
  release(destroy?: boolean): void;
}

/** What the library needs of a `pg` Pool. */
interface DirectPool {
  connect(): Promise<DirectClient>;
  end(): Promise<void>;
  on(event: 'error', listener: () => void): void;
}

/** TypeORM's PostgreSQL driver: its pool, and the `pg` module it loaded. */
interface PostgresDriver {
  master: { connect(): Promise<DirectClient> };
  postgres: { Pool: new (config: Record<string, unknown>) => DirectPool };
}

/** A small pool: one LISTEN and one cleanup lock at a time per instance. */
const DIRECT_POOL_SIZE = 3;

/**
 * Where the library takes connections that keep session state between statements. A transaction
 * pooler (PgBouncer in transaction mode) hands each transaction to any server connection, so a
 * LISTEN would hear nothing and a session-level advisory lock would stay behind on a server
 * connection that others then use. With `directDatabaseUrl` those connections come from a small
 * pool of direct connections; without it, from the app's DataSource pool (a direct connection too).
 */
@Injectable()
export class DirectConnection implements OnApplicationShutdown {
  private pool?: DirectPool;

  constructor(
    @Inject(SESSION_AUTH_RESOLVED_OPTIONS) private readonly options: ResolvedSessionAuthOptions,
    @InjectDataSource() private readonly dataSource: DataSource,
  ) {}

  /** Whether connections come from `directDatabaseUrl` rather than the DataSource pool. */
  get isSeparate(): boolean {
    return this.options.directDatabaseUrl !== undefined;
  }

  /** The DataSource's pool holds one connection (an embedded PostgreSQL) and there is no direct URL. */
  get isSingleConnection(): boolean {
    if (this.isSeparate) return false;
    const driver = this.dataSource.driver as unknown as { master?: { options?: { max?: number } } };
    return driver?.master?.options?.max === 1;
  }

  async connect(): Promise<DirectClient> {
    const driver = this.dataSource.driver as unknown as PostgresDriver;
    if (!this.isSeparate) return driver.master.connect();
    this.pool ??= this.createPool(driver, this.options.directDatabaseUrl!);
    return this.pool.connect();
  }

  async onApplicationShutdown(): Promise<void> {
    const pool = this.pool;
    this.pool = undefined;
    await pool?.end();
  }

  /** With the `pg` module TypeORM already loaded: no package of its own to install or import. */
  private createPool(driver: PostgresDriver, connectionString: string): DirectPool {
    const pool = new driver.postgres.Pool({
      connectionString,
      max: DIRECT_POOL_SIZE,
      // Fail fast like the app's pool, so a PostgreSQL outage is noticed and retried.
      connectionTimeoutMillis: 2000,
      query_timeout: 5000,
      keepAlive: true,
    });
    pool.on('error', () => undefined); // an idle client's error: its user already saw it or will
    return pool;
  }
}
