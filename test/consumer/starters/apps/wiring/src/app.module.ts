import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { SessionAuthModule, sessionAuthEntities, sessionAuthMigrations } from 'nestjs-session-auth';
import { AccountsController } from './accounts.controller.js';
import { AppController } from './app.controller.js';
import { AppService } from './app.service.js';

// The starter's AppModule after adoption: TypeORM with the package's entities and migrations, the
// module with its required option, and the app's own sign-in route (AccountsController).
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
      cookieSecure: false,
      bcryptRounds: 4,
    }),
  ],
  controllers: [AppController, AccountsController],
  providers: [AppService],
})
export class AppModule {}
