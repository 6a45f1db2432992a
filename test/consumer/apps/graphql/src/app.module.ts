import { ApolloDriver, type ApolloDriverConfig } from '@nestjs/apollo';
import { Module } from '@nestjs/common';
import { GraphQLModule } from '@nestjs/graphql';
import { TypeOrmModule } from '@nestjs/typeorm';
import { SessionAuthModule, sessionAuthEntities, sessionAuthMigrations } from 'nestjs-session-auth';
import { AccountsController } from './accounts.controller.js';
import { MeResolver } from './me.resolver.js';

// A GraphQL adopter: code-first @nestjs/graphql on Apollo beside the REST sign-in route; the
// guard and @CurrentUser() read the GraphQL context's `req` (Apollo's default context holds it).
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
      refreshTransport: 'both',
      cookieSecure: false,
      bcryptRounds: 4,
    }),
    GraphQLModule.forRoot<ApolloDriverConfig>({ driver: ApolloDriver, autoSchemaFile: true }),
  ],
  controllers: [AccountsController],
  providers: [MeResolver],
})
export class AppModule {}
