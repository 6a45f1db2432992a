import { Module } from '@nestjs/common';
import { sessionCacheProvider } from './cache/cache.providers.js';
import { RedisConnection, redisConnectionProvider } from './cache/redis-connection.js';
import { SessionCache } from './cache/session-cache.interface.js';
import { CleanupLock } from './cleanup/cleanup-lock.js';
import { CleanupScheduler } from './cleanup/cleanup.scheduler.js';
import { CleanupService } from './cleanup/cleanup.service.js';
import { SessionAuthGuard } from './auth/session-auth.guard.js';
import { openApiProvider } from './http/openapi.js';
import { RefreshTokenTransport } from './http/refresh-token-transport.js';
import { SessionMetrics, sessionMetricsProvider } from './metrics/session-metrics.js';
import { PasswordService } from './passwords/password.service.js';
import {
  ConfigurableSessionAuthModule,
  SESSION_AUTH_OPTIONS,
} from './session-auth.module-definition.js';
import {
  SESSION_AUTH_RESOLVED_OPTIONS,
  SESSION_AUTH_ROUTE_PATH,
} from './session-auth.internal-tokens.js';
import { type SessionAuthOptions } from './config/session-auth.options.js';
import { resolveSessionAuthOptions } from './config/resolve-options.js';
import { DatabaseClock } from './clock/database-clock.js';
import { DirectConnection } from './persistence/direct-connection.js';
import { SessionNotifier } from './events/session-notifier.js';
import { revocationProviders } from './revocation/revocation.providers.js';
import { SessionRepository } from './persistence/session.repository.js';
import { SessionService } from './sessions/session.service.js';
import { SessionVerifier } from './sessions/session-verifier.js';
import { SessionStateService } from './cache/session-state.service.js';
import { AccessTokenService } from './tokens/access-token.service.js';
import { CleanupRepository } from './persistence/cleanup.repository.js';
import { RotationRepository } from './persistence/rotation.repository.js';
import { RefreshRotationService } from './sessions/refresh-rotation.service.js';
import { DeviceProofService } from './binding/device-proof.service.js';
import { defaultCookiePath } from './config/cookie-prefix.js';

/**
 * Device-aware session authentication: `SessionAuthModule.forRoot({ jwtSecret })` or
 * `forRootAsync({ imports, inject, useFactory | useClass | useExisting })`. Needs TypeOrmModule
 * (with `sessionAuthEntities` and `sessionAuthMigrations`) in the app. EventEmitterModule (events,
 * and the gateway's pushes) and ScheduleModule (the cleanup cron) are the app's to import: the
 * library registers nothing global by itself.
 */
@Module({
  providers: [
    {
      provide: SESSION_AUTH_RESOLVED_OPTIONS,
      inject: [SESSION_AUTH_OPTIONS, { token: SESSION_AUTH_ROUTE_PATH, optional: true }],
      // The refresh cookie must reach the refresh route: by default its Path follows routePath
      // (a `__Host-` cookie must have Path=/).
      useFactory: (options: SessionAuthOptions, routePath = 'auth') =>
        resolveSessionAuthOptions({
          ...options,
          cookiePath:
            options.cookiePath ??
            defaultCookiePath(options.cookieName, `/${routePath.replace(/^\/+/, '')}`),
        }),
    },
    redisConnectionProvider,
    sessionCacheProvider,
    sessionMetricsProvider,
    DatabaseClock,
    AccessTokenService,
    PasswordService,
    SessionRepository,
    CleanupRepository,
    SessionStateService,
    DirectConnection,
    ...revocationProviders,
    SessionNotifier,
    RotationRepository,
    DeviceProofService,
    RefreshRotationService,
    CleanupLock,
    CleanupService,
    CleanupScheduler,
    SessionVerifier,
    SessionService,
    RefreshTokenTransport,
    SessionAuthGuard,
    openApiProvider,
  ],
  exports: [
    SessionService,
    SessionVerifier,
    SessionAuthGuard,
    RefreshTokenTransport,
    SessionCache,
    RedisConnection,
    SessionMetrics,
  ],
})
export class SessionAuthModule extends ConfigurableSessionAuthModule {}
