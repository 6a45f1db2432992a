import { CreateSessionTables1763900000000 } from './migrations/1763900000000-create-session-tables.js';
import { RefreshGenerations1764400000000 } from './migrations/1764400000000-refresh-generations.js';
import { DeviceBinding1765100000000 } from './migrations/1765100000000-device-binding.js';
import { RefreshTokenEntity } from './refresh-token.entity.js';
import { SessionEntity } from './session.entity.js';

/** Add these to your TypeORM data source: `entities: [...sessionAuthEntities]`. */
export const sessionAuthEntities = [SessionEntity, RefreshTokenEntity];

/** Add these to your TypeORM data source: `migrations: [...sessionAuthMigrations]`. */
export const sessionAuthMigrations = [
  CreateSessionTables1763900000000,
  RefreshGenerations1764400000000,
  DeviceBinding1765100000000,
];
