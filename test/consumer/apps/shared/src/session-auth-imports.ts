import type { DynamicModule } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import {
  SessionAuthModule,
  type SessionAuthOptions,
  sessionAuthEntities,
  sessionAuthMigrations,
} from 'nestjs-session-auth';

/**
 * What an adopter adds to its AppModule's imports: TypeORM with the package's entities and
 * migrations (run on start-up), and the module with its required option plus what plain-http tests
 * need (no Secure cookie, cheap bcrypt). `options` adds to those.
 */
export function sessionAuthImports(options: SessionAuthOptions = {}): DynamicModule[] {
  return [
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
      ...options,
    }),
  ];
}
