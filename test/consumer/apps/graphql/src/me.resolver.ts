import { UseGuards } from '@nestjs/common';
import { Field, ObjectType, Query, Resolver } from '@nestjs/graphql';
import {
  type AuthenticatedSession,
  CurrentSession,
  CurrentUser,
  SessionAuthGuard,
} from 'nestjs-session-auth';

@ObjectType()
export class Me {
  @Field()
  userId!: string;

  @Field()
  sessionId!: string;
}

@Resolver(() => Me)
export class MeResolver {
  @Query(() => Me)
  @UseGuards(SessionAuthGuard)
  me(@CurrentUser() userId: string, @CurrentSession() session: AuthenticatedSession): Me {
    return { userId, sessionId: session.sessionId };
  }
}
