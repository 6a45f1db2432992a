import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ModuleRef } from '@nestjs/core';
import { Server } from 'socket.io';
import { io, type Socket as ClientSocket } from 'socket.io-client';
import type { RevokeReason } from '../persistence/revoke-reason.js';
import type { RevocationPropagator } from '../revocation/revocation-propagator.js';
import type { SessionService } from '../sessions/session.service.js';
import type { SessionListItem, SessionView } from '../sessions/session-view.type.js';
import { disabledMetrics } from '../test-fakes/disabled-metrics.js';
import { sessionEntity } from '../test-fakes/session-entity.js';
import { eventually } from '../test-fakes/timing.js';
import { verifierOverFakes } from '../test-fakes/verifier-over-fakes.js';
import { GatewayServices } from './gateway-services.js';
import { SessionGateway } from './session.gateway.js';
import { SESSIONS_NAMESPACE } from './session-socket-events.js';

/**
 * The gateway on a real socket.io server (in process, on a loopback port) with real clients; below
 * it, the real verifier and state service over fakes. Nest's part is done by hand: the namespace
 * goes to `server` and `afterInit`, connections to `handleConnection`.
 */
const ALICE = 'alice';
const BOB = 'bob';
const A1 = '0b6f1c1e-3a52-4c1e-9d5e-2b0f3c3a9e11';
const A2 = '1c7f2d2f-4b63-4d2f-8e6f-3c1f4d4b0f22';
const B1 = '2d8a3e3a-5c74-4e3a-9f7a-4d2a5e5c1a33';

interface Received {
  event: string;
  payload: Record<string, unknown>;
}

let http: HttpServer;
let server: Server;
let gateway: SessionGateway;
let fixture: ReturnType<typeof verifierOverFakes>;
let revokedElsewhere: (sessions: { id: string; userId: string; reason: RevokeReason }[]) => void;
let listsRequested: string[][];
/** Runs after the handshake's check admitted a token, before the socket joins its rooms. */
let afterHandshake: () => Promise<void>;
const clients: ClientSocket[] = [];

beforeEach(async () => {
  fixture = verifierOverFakes();
  for (const [id, userId] of [
    [A1, ALICE],
    [A2, ALICE],
    [B1, BOB],
  ])
    fixture.rows.set(id, sessionEntity({ id, userId }));
  listsRequested = [];
  afterHandshake = async () => undefined;
  const sessions = {
    verifyAccessToken: async (token: string | undefined) => {
      const auth = await fixture.verifier.check(token);
      await afterHandshake();
      return auth;
    },
    getActiveSessionsOfUsers: async (userIds: string[]) => {
      listsRequested.push([...userIds].sort());
      return new Map(
        userIds.map((userId) => [userId, [{ id: `${userId}-list` } as unknown as SessionListItem]]),
      );
    },
  };
  const propagator = {
    onRevokedElsewhere: (listener: typeof revokedElsewhere) => {
      revokedElsewhere = listener;
    },
  };
  const services = new GatewayServices(
    sessions as unknown as SessionService,
    fixture.state,
    disabledMetrics(),
    propagator as unknown as RevocationPropagator,
  );
  const moduleRef = {
    get: (token: unknown) => (token === GatewayServices ? services : undefined),
  } as unknown as ModuleRef;

  http = createServer();
  server = new Server(http);
  const namespace = server.of(SESSIONS_NAMESPACE);
  gateway = new SessionGateway(moduleRef);
  Object.assign(gateway, { server: namespace });
  gateway.afterInit(namespace as never);
  namespace.on('connection', (socket) => {
    void gateway.handleConnection(socket as never);
    socket.on('disconnect', () => gateway.handleDisconnect());
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
});

afterEach(async () => {
  for (const client of clients.splice(0)) client.close();
  gateway.onModuleDestroy();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

/** A client of the namespace with `token`, recording what it receives; resolves once joined. */
async function connect(token: string | undefined) {
  const { port } = http.address() as AddressInfo;
  const client = io(`http://127.0.0.1:${port}${SESSIONS_NAMESPACE}`, {
    auth: token === undefined ? {} : { token },
    transports: ['websocket'],
    reconnection: false,
  });
  clients.push(client);
  const received: Received[] = [];
  client.onAny((event: string, payload: Record<string, unknown>) =>
    received.push({ event, payload }),
  );
  const disconnected = new Promise<string>((resolve) => client.on('disconnect', resolve));
  const outcome = await new Promise<'connected' | string>((resolve) => {
    client.on('connect', () => resolve('connected'));
    client.on('connect_error', (error) => resolve(error.message));
  });
  return { client, received, outcome, disconnected };
}

/** A connected client of `sessionId` (of `userId`), once the server has put it in its rooms. */
async function signedIn(userId: string, sessionId: string) {
  const socket = await connect(fixture.tokenFor(userId, sessionId));
  expect(socket.outcome).toBe('connected');
  await eventually(
    async () => {
      if (!server.of(SESSIONS_NAMESPACE).adapter.rooms.get(`session:${sessionId}`)?.size)
        throw new Error('not joined yet');
    },
    { timeoutMs: 2000, intervalMs: 5 },
  );
  return socket;
}

const named = (received: Received[], event: string) => received.filter((r) => r.event === event);

/** Waits until `received` holds an event named `event`. */
function arrival(received: Received[], event: string) {
  return eventually(
    async () => {
      const found = named(received, event);
      if (found.length === 0) throw new Error(`no ${event}`);
      return found;
    },
    { timeoutMs: 2000, intervalMs: 5 },
  );
}

/** Lets in-flight socket messages land (a loopback round trip). */
const settle = () => new Promise((resolve) => setTimeout(resolve, 50));

describe('SessionGateway', () => {
  describe('the handshake', () => {
    it.each([
      ['no token', () => undefined, 'ACCESS_TOKEN_MISSING'],
      ['a forged token', () => 'x.y.z', 'ACCESS_TOKEN_INVALID'],
      ['the token of a revoked session', () => fixture.tokenFor(ALICE, A1), 'SESSION_REVOKED'],
    ])('refuses %s with the code as the connect_error message', async (_, token, code) => {
      Object.assign(fixture.rows.get(A1)!, { revokedAt: new Date(), revokeReason: 'LOGOUT' });

      const { outcome } = await connect(token());

      expect(outcome).toBe(code);
    });

    it("admits a live session's token and puts the socket in its user's and session's rooms only", async () => {
      await signedIn(ALICE, A1);

      const [socket] = server.of(SESSIONS_NAMESPACE).sockets.values();
      expect([...socket.rooms].filter((room) => room !== socket.id).sort()).toEqual([
        `session:${A1}`,
        `user:${ALICE}`,
      ]);
    });
  });

  it('disconnects a socket whose session ended between its handshake and its join', async () => {
    // The revocation commits, and its SESSION_TERMINATED goes to a room the socket is not yet in.
    afterHandshake = async () => {
      Object.assign(fixture.rows.get(A1)!, { revokedAt: new Date(), revokeReason: 'TERMINATED' });
      await fixture.state.markRevoked([{ id: A1, userId: ALICE }]);
      gateway.onTerminated({ userId: ALICE, sessionIds: [A1], reason: 'TERMINATED' } as never);
    };

    const a1 = await connect(fixture.tokenFor(ALICE, A1));

    expect(a1.outcome).toBe('connected');
    const stillConnected = new Promise((resolve) => setTimeout(resolve, 2000, 'still connected'));
    expect(await Promise.race([a1.disconnected, stillConnected])).toBe('io server disconnect');
  });

  it("sends SESSION_NEW to the user's devices only, then one session list per changed user", async () => {
    const a1 = await signedIn(ALICE, A1);
    const b1 = await signedIn(BOB, B1);
    const view = { id: A2 } as unknown as SessionView;

    gateway.onCreated({ userId: ALICE, session: view } as never);
    gateway.onCreated({ userId: ALICE, session: view } as never);
    await arrival(a1.received, 'SESSIONS_UPDATED');
    await settle();

    expect(named(a1.received, 'SESSION_NEW')).toEqual([
      { event: 'SESSION_NEW', payload: { session: view } },
      { event: 'SESSION_NEW', payload: { session: view } },
    ]);
    expect(named(a1.received, 'SESSIONS_UPDATED')).toEqual([
      { event: 'SESSIONS_UPDATED', payload: { sessions: [{ id: `${ALICE}-list` }] } },
    ]);
    expect(listsRequested).toEqual([[ALICE]]);
    expect(b1.received).toEqual([]);
  });

  it("tells an ended session's socket why and disconnects it; the user's other devices get the new list", async () => {
    const a1 = await signedIn(ALICE, A1);
    const a2 = await signedIn(ALICE, A2);

    gateway.onTerminated({ userId: ALICE, sessionIds: [A1], reason: 'TERMINATED' } as never);

    expect(await a1.disconnected).toBe('io server disconnect');
    expect(named(a1.received, 'SESSION_TERMINATED')).toEqual([
      { event: 'SESSION_TERMINATED', payload: { sessionId: A1, reason: 'TERMINATED' } },
    ]);
    await arrival(a2.received, 'SESSIONS_UPDATED');
    expect(named(a2.received, 'SESSION_TERMINATED')).toEqual([]);
    expect(a2.client.connected).toBe(true);
  });

  it("alerts the user's devices of a reuse, with its cause", async () => {
    const a2 = await signedIn(ALICE, A2);
    const b1 = await signedIn(BOB, B1);

    gateway.onReuseDetected({ userId: ALICE, sessionId: A1, cause: 'token-reused' } as never);

    expect(await arrival(a2.received, 'SESSION_REUSE_DETECTED')).toEqual([
      { event: 'SESSION_REUSE_DETECTED', payload: { sessionId: A1, cause: 'token-reused' } },
    ]);
    await settle();
    expect(b1.received).toEqual([]);
  });

  it('ends the sockets of sessions another instance revoked (the RevocationPropagator)', async () => {
    const a1 = await signedIn(ALICE, A1);
    const b1 = await signedIn(BOB, B1);

    revokedElsewhere([{ id: A1, userId: ALICE, reason: 'PASSWORD_CHANGED' }]);

    await a1.disconnected;
    expect(named(a1.received, 'SESSION_TERMINATED')).toEqual([
      { event: 'SESSION_TERMINATED', payload: { sessionId: A1, reason: 'PASSWORD_CHANGED' } },
    ]);
    expect(b1.client.connected).toBe(true);
  });

  it('sweeps: ends the sockets of sessions that ended while no event reached this instance', async () => {
    const a1 = await signedIn(ALICE, A1);
    const b1 = await signedIn(BOB, B1);
    // Another instance revoked it: the row and the shared cache say so; its event never came here.
    Object.assign(fixture.rows.get(A1)!, { revokedAt: new Date(), revokeReason: 'LOGOUT' });
    await fixture.state.markRevoked([{ id: A1, userId: ALICE }]);

    // What the gateway's 30-second interval runs.
    await (
      gateway as unknown as { disconnectDeadSessions(): Promise<void> }
    ).disconnectDeadSessions();

    await a1.disconnected;
    expect(named(a1.received, 'SESSION_TERMINATED')).toEqual([
      { event: 'SESSION_TERMINATED', payload: { sessionId: A1, reason: 'TERMINATED' } },
    ]);
    expect(b1.client.connected).toBe(true);
  });
});
