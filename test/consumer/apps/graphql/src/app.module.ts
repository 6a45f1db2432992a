import { ApolloDriver, type ApolloDriverConfig } from '@nestjs/apollo';
import { Module } from '@nestjs/common';
import { GraphQLModule } from '@nestjs/graphql';
import { AccountsController } from './accounts.controller.js';
import { MeResolver } from './me.resolver.js';
import { sessionAuthImports } from './session-auth-imports.js';

// A GraphQL adopter: code-first @nestjs/graphql on Apollo beside the REST sign-in route; the
// guard and @CurrentUser() read the GraphQL context's `req` (Apollo's default context holds it).
@Module({
  imports: [
    ...sessionAuthImports({ refreshTransport: 'both' }),
    GraphQLModule.forRoot<ApolloDriverConfig>({ driver: ApolloDriver, autoSchemaFile: true }),
  ],
  controllers: [AccountsController],
  providers: [MeResolver],
})
export class AppModule {}
