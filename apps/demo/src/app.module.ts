import { type DynamicModule, Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { EventEmitterModule } from '@nestjs/event-emitter';
import { ScheduleModule } from '@nestjs/schedule';
import { TerminusModule } from '@nestjs/terminus';
import { ThrottlerModule } from '@nestjs/throttler';
import { TypeOrmModule } from '@nestjs/typeorm';
import { SessionAuthModule } from 'nestjs-session-auth';
import type { DataSourceOptions } from 'typeorm';
import { AccountController } from './account/account.controller.js';
import { AuthController } from './auth/auth.controller.js';
import { BenchModule } from './bench/bench.module.js';
import type { DemoConfig } from './config/demo-config.js';
import { HealthController } from './health/health.controller.js';
import { ShutdownState } from './lifecycle/shutdown-state.js';
import { DemoLoggingModule } from './logging/logging.module.js';
import { MeController } from './me/me.controller.js';
import { MetricsController } from './metrics/metrics.controller.js';
import { demoRedisModule, DemoRedis } from './redis/demo-redis.js';
import { RedisThrottlerStorage } from './throttle/redis-throttler.storage.js';
import { DemoThrottlerGuard } from './throttle/demo-throttler.guard.js';
import { UsersService } from './users/users.service.js';
import { WebModule } from './web/web.module.js';

const MINUTE_MS = 60_000;

@Module({})
export class AppModule {
  static forRoot(config: DemoConfig, database: DataSourceOptions): DynamicModule {
    const redis = demoRedisModule(config.redisUrl, config.redisKeyPrefix);
    return {
      module: AppModule,
      imports: [
        DemoLoggingModule,
        TypeOrmModule.forRoot({ ...database, retryAttempts: 2, retryDelay: 1000 }),
        EventEmitterModule.forRoot(),
        ScheduleModule.forRoot(),
        SessionAuthModule.forRoot({
          isGlobal: true,
          gateway: true,
          jwtSecret: config.jwtSecret,
          refreshTokenSecrets: config.refreshTokenSecrets,
          accessTokenTtl: config.accessTokenTtl,
          idleTtl: config.refreshIdleTtl,
          absoluteTtl: config.refreshAbsoluteTtl,
          reuseGraceSeconds: config.reuseGraceSeconds,
          bcryptRounds: config.bcryptRounds,
          maxSessionsPerUser: config.maxSessionsPerUser,
          passwordConcurrency: config.passwordConcurrency,
          passwordQueueLimit: config.passwordQueueLimit,
          revocationAckTimeoutMs: config.revocationAckTimeoutMs,
          redis: config.redisUrl,
          directDatabaseUrl: config.databaseDirectUrl,
          redisKeyPrefix: config.redisKeyPrefix,
          refreshTransport: config.refreshTransport,
          cookieSecure: config.cookieSecure,
          cookieName: config.refreshCookieName,
          cleanupCron: config.cleanupCron,
          cleanupLockTtl: config.cleanupLockTtl,
          cleanupRetention: config.cleanupRetention,
          bindUserAgent: config.bindUserAgent,
          deviceBinding: config.deviceBinding,
          metrics: config.metrics,
          openApi: true,
        }),
        redis,
        ThrottlerModule.forRootAsync({
          imports: [redis],
          inject: [DemoRedis],
          useFactory: (demoRedis: DemoRedis) => ({
            throttlers: [
              { name: 'login', ttl: MINUTE_MS, limit: config.rateLimitLogin },
              {
                name: 'login-ip',
                ttl: MINUTE_MS,
                limit: config.rateLimitLoginIp,
                getTracker: (req) => req.ip,
              },
              {
                name: 'refresh',
                ttl: MINUTE_MS,
                limit: config.rateLimitRefresh,
                getTracker: (req) => req.ip,
              },
            ],
            storage: new RedisThrottlerStorage(demoRedis),
          }),
        }),
        TerminusModule,
        WebModule.forRoot(),
        ...(config.benchRoutes ? [BenchModule.register(config.jwtSecret)] : []),
      ],
      controllers: [
        AuthController,
        MeController,
        AccountController,
        HealthController,
        ...(config.metrics ? [MetricsController] : []),
      ],
      providers: [
        UsersService,
        ShutdownState,
        { provide: APP_GUARD, useClass: DemoThrottlerGuard },
      ],
    };
  }
}
