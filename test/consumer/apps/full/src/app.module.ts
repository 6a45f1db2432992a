import { Module } from '@nestjs/common';
import { ConfigModule, ConfigService } from '@nestjs/config';
import { APP_GUARD } from '@nestjs/core';
import { EventEmitterModule } from '@nestjs/event-emitter';
import { ScheduleModule } from '@nestjs/schedule';
import { TypeOrmModule } from '@nestjs/typeorm';
import { SessionAuthModule, sessionAuthEntities, sessionAuthMigrations } from 'nestjs-session-auth';
import { AccountsController } from './accounts.controller.js';
import { AdopterGuard } from './adopter.guard.js';
import { ObservedEvents, ObservedEventsController } from './observed-events.js';

// Every optional feature switched on: options from ConfigService, Redis under the app's own key
// prefix, application events, the cleanup cron and the socket gateway (SessionIoAdapter in main.ts);
// the app's own subclass of SessionAuthGuard global (routes opt out with @Public()) and the
// library's exception filter (main.ts).
@Module({
  imports: [
    ConfigModule.forRoot(),
    EventEmitterModule.forRoot(),
    ScheduleModule.forRoot(),
    TypeOrmModule.forRootAsync({
      imports: [ConfigModule],
      inject: [ConfigService],
      useFactory: (config: ConfigService) => ({
        type: 'postgres' as const,
        url: config.getOrThrow<string>('DATABASE_URL'),
        entities: [...sessionAuthEntities],
        migrations: [...sessionAuthMigrations],
        migrationsRun: true,
      }),
    }),
    SessionAuthModule.forRootAsync({
      imports: [ConfigModule],
      inject: [ConfigService],
      useFactory: (config: ConfigService) => ({
        jwtSecret: config.getOrThrow<string>('JWT_SECRET'),
        redis: config.getOrThrow<string>('REDIS_URL'),
        redisKeyPrefix: config.getOrThrow<string>('REDIS_KEY_PREFIX'),
        cleanupCron: config.getOrThrow<string>('CLEANUP_CRON'),
        refreshTransport: 'both',
        cookieSecure: false,
        bcryptRounds: 4,
      }),
      gateway: true,
    }),
  ],
  controllers: [AccountsController, ObservedEventsController],
  providers: [ObservedEvents, { provide: APP_GUARD, useClass: AdopterGuard }],
})
export class AppModule {}
