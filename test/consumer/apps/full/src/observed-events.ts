import { Controller, Get, Injectable } from '@nestjs/common';
import { OnEvent } from '@nestjs/event-emitter';
import { CurrentUser, Public, type SessionCreatedEvent, SessionEvents } from 'nestjs-session-auth';

/** Records the library's `session.created` events, as an app that emails "new sign-in" would. */
@Injectable()
export class ObservedEvents {
  readonly created: { userId: string; sessionId: string }[] = [];

  @OnEvent(SessionEvents.CREATED)
  onCreated(event: SessionCreatedEvent): void {
    this.created.push({ userId: event.userId, sessionId: event.session.id });
  }
}

/** Lets the test read what the listener saw. */
@Controller('observed-events')
export class ObservedEventsController {
  constructor(private readonly events: ObservedEvents) {}

  @Get('created')
  @Public()
  created() {
    return this.events.created;
  }

  /** Guarded only by the global AdopterGuard, a SessionAuthGuard subclass (app.module.ts). */
  @Get('mine')
  mine(@CurrentUser() userId: string) {
    return this.events.created.filter((event) => event.userId === userId);
  }
}
