import { Logger, type OnModuleDestroy } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { OnEvent } from '@nestjs/event-emitter';
import {
  type OnGatewayConnection,
  type OnGatewayDisconnect,
  type OnGatewayInit,
  WebSocketGateway,
  WebSocketServer,
} from '@nestjs/websockets';
import type { Namespace, Socket } from 'socket.io';
import { SessionAuthError } from '../errors/session-auth.error.js';
import {
  SessionEvents,
  type SessionCreatedEvent,
  type SessionReuseDetectedEvent,
  type SessionTerminatedEvent,
} from '../events/session-events.js';
import type { SessionMetrics } from '../metrics/session-metrics.js';
import type { RevokeReason } from '../persistence/revoke-reason.js';
import type { AuthenticatedSession } from '../sessions/session-verifier.js';
import type { SessionService } from '../sessions/session.service.js';
import type { SessionStateService } from '../cache/session-state.service.js';
import { GatewayServices } from './gateway-services.js';
import {
  SESSIONS_NAMESPACE,
  type SessionClientToServerEvents,
  type SessionServerToClientEvents,
} from './session-socket-events.js';
import { spansInstances } from './spans-instances.js';

type SessionSocket = Socket<
  SessionClientToServerEvents,
  SessionServerToClientEvents,
  object,
  { auth: AuthenticatedSession }
>;
/** Sessions that ended, relayed once per tick to the other instances (which end their sockets). */
const SESSIONS_ENDED = 'session-auth:sessions-ended';
interface RelayEvents {
  [SESSIONS_ENDED]: (sessionIds: string[], reason: RevokeReason) => void;
}
type SessionNamespace = Namespace<
  SessionClientToServerEvents,
  SessionServerToClientEvents,
  RelayEvents
>;

/** How often local sockets are re-checked against session state (a backstop: revocations reach them at once through the RevocationPropagator). */
const SWEEP_INTERVAL_MS = 30_000;

const userRoom = (userId: string) => `user:${userId}`;
const sessionRoom = (sessionId: string) => `session:${sessionId}`;

/**
 * Pushes session events to a user's devices. The access token is checked once, at the handshake
 * (a refused handshake's `connect_error` message is the error code); afterwards a socket lives as
 * long as its session, not its access token. Rooms are derived from the verified token only.
 */
@WebSocketGateway({ namespace: SESSIONS_NAMESPACE })
export class SessionGateway
  implements OnGatewayInit, OnGatewayConnection, OnGatewayDisconnect, OnModuleDestroy
{
  @WebSocketServer() private readonly server!: SessionNamespace;
  private readonly logger = new Logger('SessionGateway');
  private sweep?: NodeJS.Timeout;
  private readonly listsDue = new Set<string>();
  /** Ended sessions to relay to the other instances, by reason. */
  private readonly endedDue = new Map<RevokeReason, string[]>();
  /** Whether the adapter reaches other instances (set once the namespace exists). */
  private relays = false;
  private flushTimer?: NodeJS.Immediate;

  private sessions!: SessionService;
  private state!: SessionStateService;
  private metrics!: SessionMetrics;

  constructor(private readonly moduleRef: ModuleRef) {}

  afterInit(namespace: SessionNamespace): void {
    // The one look-up across modules: this gateway's module is imported BY the session module (it
    // is loaded only with `gateway: true`), and Nest lets no module inject its importer's providers.
    const services = this.moduleRef.get(GatewayServices, { strict: false });
    ({ sessions: this.sessions, state: this.state, metrics: this.metrics } = services);
    namespace.use((socket, next) => {
      const token: unknown = socket.handshake.auth?.token;
      this.sessions
        .verifyAccessToken(typeof token === 'string' ? token : undefined)
        .then((auth) => {
          (socket as SessionSocket).data.auth = auth;
          next();
        })
        .catch((error: unknown) => {
          const code = error instanceof SessionAuthError ? error.code : 'INTERNAL_ERROR';
          next(new Error(code));
        });
    });
    this.relays = spansInstances(namespace.adapter);
    namespace.on(SESSIONS_ENDED, (sessionIds, reason) => this.endLocally(sessionIds, reason));
    // Every revocation reaches every instance through PostgreSQL too, with or without Redis and
    // whatever the adapter: their sockets here end at once, not at the next sweep.
    services.propagator.onRevokedElsewhere((sessions) => {
      for (const { id, reason } of sessions) this.endLocally([id], reason);
    });
    this.sweep = setInterval(() => void this.disconnectDeadSessions(), SWEEP_INTERVAL_MS);
    this.sweep.unref();
  }

  async handleConnection(socket: SessionSocket): Promise<void> {
    const { userId, sessionId } = socket.data.auth;
    this.metrics.socketsConnected.inc();
    await socket.join([userRoom(userId), sessionRoom(sessionId)]);
    // A session ended between the handshake's check and the join was told to an empty room:
    // look once more, so the socket does not live on until the sweep. No reason is sent (the
    // state does not keep it); the client asks the refresh endpoint, which answers why.
    try {
      if (!this.state.isLive(await this.state.get(sessionId))) socket.disconnect(true);
    } catch {
      // The state cannot be read now (an outage): the sweep looks again.
    }
  }

  handleDisconnect(): void {
    this.metrics.socketsConnected.dec();
  }

  onModuleDestroy(): void {
    clearInterval(this.sweep);
  }

  @OnEvent(SessionEvents.CREATED)
  onCreated(event: SessionCreatedEvent): void {
    this.server.to(userRoom(event.userId)).emit('SESSION_NEW', { session: event.session });
    this.queueSessionList(event.userId);
  }

  @OnEvent(SessionEvents.TERMINATED)
  onTerminated(event: SessionTerminatedEvent): void {
    this.endLocally(event.sessionIds, event.reason);
    // One relay message per tick for every session ended meanwhile (a cleanup batch ends
    // thousands), instead of an emit and a disconnect published per session.
    if (this.relays) {
      const due = this.endedDue.get(event.reason) ?? [];
      this.endedDue.set(event.reason, due.concat(event.sessionIds));
    }
    this.queueSessionList(event.userId);
  }

  /** Tells this instance's sockets of the sessions that they ended, and disconnects them. */
  private endLocally(sessionIds: string[], reason: RevokeReason): void {
    for (const sessionId of sessionIds) {
      const room = this.server.to(sessionRoom(sessionId)).local;
      room.emit('SESSION_TERMINATED', { sessionId, reason });
      this.server.in(sessionRoom(sessionId)).local.disconnectSockets(true);
    }
  }

  @OnEvent(SessionEvents.REUSE_DETECTED)
  onReuseDetected(event: SessionReuseDetectedEvent): void {
    this.server
      .to(userRoom(event.userId))
      .emit('SESSION_REUSE_DETECTED', { sessionId: event.sessionId, cause: event.cause });
  }

  /**
   * Session lists go out on the next tick, one query for every user changed meanwhile: a cleanup
   * batch that ends a thousand users' sessions makes one query, not a thousand.
   */
  private queueSessionList(userId: string): void {
    this.listsDue.add(userId);
    this.flushTimer ??= setImmediate(() => void this.flush());
  }

  private async flush(): Promise<void> {
    this.flushTimer = undefined;
    for (const [reason, sessionIds] of this.endedDue)
      this.server.serverSideEmit(SESSIONS_ENDED, sessionIds, reason);
    this.endedDue.clear();
    await this.sendSessionLists();
  }

  /**
   * One SESSIONS_UPDATED per changed user, to the user's room: a change costs one message (one
   * publish through Redis) whatever the number of sessions, and each device marks its own by id.
   * A user with no live session left has no device to tell.
   */
  private async sendSessionLists(): Promise<void> {
    const userIds = [...this.listsDue];
    this.listsDue.clear();
    try {
      const byUser = await this.sessions.getActiveSessionsOfUsers(userIds);
      for (const [userId, sessions] of byUser) {
        if (sessions.length > 0)
          this.server.to(userRoom(userId)).emit('SESSIONS_UPDATED', { sessions });
      }
    } catch (error) {
      this.logger.warn(`could not send session lists: ${(error as Error).message}`);
    }
  }

  /** Disconnects local sockets whose session ended while its event could not reach this instance. */
  private async disconnectDeadSessions(): Promise<void> {
    const sockets = [...this.server.sockets.values()] as SessionSocket[];
    const sessionIds = new Set(sockets.map((s) => s.data.auth?.sessionId).filter(Boolean));
    for (const sessionId of sessionIds) {
      try {
        if (this.state.isLive(await this.state.get(sessionId))) continue;
        this.endLocally([sessionId], 'TERMINATED');
      } catch (error) {
        this.logger.warn(`socket sweep failed: ${(error as Error).message}`);
        return;
      }
    }
  }
}
