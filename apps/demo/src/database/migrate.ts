import { DataSource, type DataSourceOptions } from 'typeorm';

/** Any constant works; it only has to be the same for every instance of the demo. */
const MIGRATION_LOCK_KEY = 727_384_001;

/**
 * Brings the schema up to date. Instances starting together queue on a session-level advisory
 * lock, so exactly one applies each migration and the others find nothing left to do.
 */
export async function migrate(
  options: DataSourceOptions,
  { shared }: { shared: boolean },
): Promise<string[]> {
  const dataSource = await new DataSource(options).initialize();
  try {
    // The embedded database has one connection and one instance: nothing to queue behind.
    if (!shared) return (await dataSource.runMigrations()).map((m) => m.name);
    const lock = dataSource.createQueryRunner();
    try {
      await lock.connect();
      await lock.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
      return (await dataSource.runMigrations()).map((m) => m.name);
    } finally {
      await lock
        .query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY])
        .catch(() => undefined);
      await lock.release();
    }
  } finally {
    await dataSource.destroy();
  }
}
