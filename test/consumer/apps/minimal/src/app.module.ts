import { Module } from '@nestjs/common';
import { AccountsController } from './accounts.controller.js';
import { sessionAuthImports } from './session-auth-imports.js';

// The smallest adopter: TypeORM with the package's entities and migrations, the module with only
// its required option (plus what plain-http tests need), no filter, Redis, events, schedule or sockets.
@Module({
  imports: sessionAuthImports({
    // Unset, as in most starts of this app; the test sets it once to see Redis refused without ioredis.
    redis: process.env.REDIS_URL,
    refreshTransport: 'both',
  }),
  controllers: [AccountsController],
})
export class AppModule {}
