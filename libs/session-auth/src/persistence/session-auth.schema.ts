import { CreateSessionTables1763900000000 } from './migrations/1763900000000-create-session-tables.js';
import { SessionEntity } from './session.entity.js';

/** Add these to your TypeORM data source: `entities: [...sessionAuthEntities]`. */
export const sessionAuthEntities = [SessionEntity];

/** Add these to your TypeORM data source: `migrations: [...sessionAuthMigrations]` (one class: the whole schema). */
export const sessionAuthMigrations = [CreateSessionTables1763900000000];
