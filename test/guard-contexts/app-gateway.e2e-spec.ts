import 'reflect-metadata';
import { Module, type INestApplication, UseGuards } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { TypeOrmModule } from '@nestjs/typeorm';
import { SubscribeMessage, WebSocketGateway } from '@nestjs/websockets';
import {
  CurrentSession,
  Public,
  SessionAuthGuard,
  SessionAuthModule,
  SessionService,
  sessionAuthEntities,
  sessionAuthMigrations,
  type AuthenticatedSession,
} from 'nestjs-session-auth';
import { issueTestSession } from 'nestjs-session-auth/testing';
import { io, type Socket } from 'socket.io-client';
import { createScratchDatabase, type ScratchDatabase } from '../support/scratch-database.js';

/**
 * An adopter's own WebSocket gateway guarded with `@UseGuards(SessionAuthGuard)`: the token comes
 * from the handshake's `auth.token`, and the session is checked on every message, so the messages
 * of a session revoked after the handshake are refused with its code.
 */
@WebSocketGateway({ namespace: '/chat' })
@UseGuards(SessionAuthGuard)
class ChatGateway {
  @SubscribeMessage('whoami')
  whoami(@CurrentSession() auth: AuthenticatedSession) {
    return { userId: auth.userId, sessionId: auth.sessionId };
  }

  /** Public: the guard verifies nothing, so there is no session of this message to hand out. */
  @Public()
  @SubscribeMessage('peek')
  peek(@CurrentSession() auth: AuthenticatedSession) {
    return { sessionId: auth.sessionId };
  }
}

function appModule(databaseUrl: string) {
  @Module({
    imports: [
      TypeOrmModule.forRoot({
        type: 'postgres',
        url: databaseUrl,
        entities: [...sessionAuthEntities],
        migrations: [...sessionAuthMigrations],
        migrationsRun: true,
      }),
      SessionAuthModule.forRoot({
        jwtSecret: 'w'.repeat(32),
        controller: false,
        cleanupCron: false,
      }),
    ],
    providers: [ChatGateway],
  })
  class ChatAppModule {}
  return ChatAppModule;
}

/** The next `exception` event (Nest's answer to a refused message), or the ack if one comes. */
function send(socket: Socket, event = 'whoami'): Promise<{ ack?: unknown; exception?: unknown }> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no answer to ${event}`)), 5000);
    socket.once('exception', (exception: unknown) => {
      clearTimeout(timer);
      resolve({ exception });
    });
    socket.emit(event, {}, (ack: unknown) => {
      clearTimeout(timer);
      resolve({ ack });
    });
  });
}

describe("SessionAuthGuard on an app's own WebSocket gateway", () => {
  let database: ScratchDatabase;
  let app: INestApplication;
  let url: string;
  const sockets: Socket[] = [];

  beforeAll(async () => {
    database = await createScratchDatabase('ws_guard');
    app = await NestFactory.create(appModule(database.url), { logger: false });
    await app.listen(0, '127.0.0.1');
    url = await app.getUrl();
  });

  afterAll(async () => {
    for (const socket of sockets) socket.disconnect();
    await app?.close();
    await database?.drop();
  });

  function connect(token: string): Socket {
    const socket = io(`${url}/chat`, { auth: { token }, transports: ['websocket'] });
    sockets.push(socket);
    return socket;
  }

  it('answers messages of a live session with the verified principal', async () => {
    const issued = await issueTestSession(app, 'ws-user-1');
    const socket = connect(issued.accessToken);

    await expect(send(socket)).resolves.toEqual({
      ack: { userId: 'ws-user-1', sessionId: issued.session.id },
    });
  });

  it('refuses the messages of a session revoked after the handshake with SESSION_REVOKED', async () => {
    const issued = await issueTestSession(app, 'ws-user-2');
    const socket = connect(issued.accessToken);
    await expect(send(socket)).resolves.toHaveProperty('ack');

    await app.get(SessionService).terminateSession(issued.session.id, 'ws-user-2');

    await expect(send(socket)).resolves.toEqual({
      exception: expect.objectContaining({ statusCode: 401, code: 'SESSION_REVOKED' }),
    });
  });

  it('refuses messages of a socket without a token with ACCESS_TOKEN_MISSING', async () => {
    const socket = connect('');

    await expect(send(socket)).resolves.toEqual({
      exception: expect.objectContaining({ statusCode: 401, code: 'ACCESS_TOKEN_MISSING' }),
    });
  });

  it("a @Public() handler does not get an earlier message's session, revoked since (issue 19)", async () => {
    const issued = await issueTestSession(app, 'ws-user-3');
    const socket = connect(issued.accessToken);
    await expect(send(socket)).resolves.toHaveProperty('ack');
    await app.get(SessionService).terminateSession(issued.session.id, 'ws-user-3');

    const answer = await send(socket, 'peek');

    // Before: { ack: { sessionId } }, the revoked session of the earlier whoami, left on the socket.
    // Now, as on HTTP, @CurrentSession() in a @Public() handler has no session to give.
    expect(answer).toEqual({
      exception: expect.objectContaining({ status: 'error', message: 'Internal server error' }),
    });
  });
});
