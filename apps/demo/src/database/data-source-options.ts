import { sessionAuthEntities, sessionAuthMigrations } from 'nestjs-session-auth';
import type { DataSourceOptions } from 'typeorm';
import { CreateUsers1763900000001 } from '../users/migrations/1763900000001-create-users.js';
import { UserEntity } from '../users/user.entity.js';

/** One definition of the demo's database, used by the app and by the migration step. */
export function dataSourceOptions(url: string, embedded: boolean): DataSourceOptions {
  return {
    type: 'postgres',
    url,
    entities: [UserEntity, ...sessionAuthEntities],
    migrations: [...sessionAuthMigrations, CreateUsers1763900000001],
    migrationsTransactionMode: 'each',
    synchronize: false,
    extra: {
      // PGlite serves one connection; a real server gets a pool that fails fast when it is away.
      max: embedded ? 1 : 20,
      // Fail fast when PostgreSQL is away, so requests get 503 DATABASE_UNAVAILABLE in seconds.
      connectionTimeoutMillis: 2000,
      query_timeout: 5000,
      keepAlive: true,
    },
  };
}
