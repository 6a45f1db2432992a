import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { SessionAuthModule, sessionAuthEntities, sessionAuthMigrations } from 'nestjs-session-auth';
import { AccountsController } from './accounts.controller.js';

// The smallest adopter: TypeORM with the package's entities and migrations, the module with only
// its required option (plus what plain-http tests need), no filter, Redis, events, schedule or sockets.
@Module({
  imports: [
    TypeOrmModule.forRoot({
      type: 'postgres',
      url: process.env.DATABASE_URL,
      entities: [...sessionAuthEntities],
      migrations: [...sessionAuthMigrations],
      migrationsRun: true,
    }),
    SessionAuthModule.forRoot({
      jwtSecret: process.env.JWT_SECRET,
      // Unset, as in most starts of this app; the test sets it once to see Redis refused without ioredis.
      redis: process.env.REDIS_URL,
      refreshTransport: 'both',
      cookieSecure: false,
      bcryptRounds: 4,
    }),
  ],
  controllers: [AccountsController],
})
export class AppModule {}
