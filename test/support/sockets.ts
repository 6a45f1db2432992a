import { io, type Socket } from 'socket.io-client';
import type {
  SessionListItem,
  SessionServerToClientEvents,
} from 'nestjs-session-auth/socket-events';
import { decodeJwt } from './jwt.mjs';

// A socket.io client of the `/sessions` namespace that records everything it receives, so a test
// can wait for one event (with a deadline), check the order of events, and check afterwards that
// nothing else arrived.

export type SessionEventName = keyof SessionServerToClientEvents;
export type SessionEventPayload<E extends SessionEventName> = Parameters<
  SessionServerToClientEvents[E]
>[0];

export type SessionSocket = Socket<SessionServerToClientEvents, Record<string, never>>;

export interface ReceivedEvent<E extends SessionEventName = SessionEventName> {
  event: E;
  payload: SessionEventPayload<E>;
  /** Date.now() when the client received it. */
  at: number;
}

export interface Disconnection {
  reason: string;
  at: number;
}

export interface RecordingSocket {
  readonly label: string;
  /**
   * The session this socket belongs to (the `sid` of its token). SESSIONS_UPDATED goes to all of a
   * user's devices with no `current` flag: like a real client, a test finds its own by this id.
   */
  readonly sessionId: string;
  readonly socket: SessionSocket;
  /** Every server-to-client event, in the order received. */
  readonly events: ReceivedEvent[];
  /** Every 'disconnect' the client saw. */
  readonly disconnects: Disconnection[];
  /** Resolves with the first recorded event (past or future) named `event` that `matches`. */
  waitFor<E extends SessionEventName>(
    event: E,
    matches?: (payload: SessionEventPayload<E>) => boolean,
    timeoutMs?: number,
  ): Promise<ReceivedEvent<E>>;
  /** Resolves with the first disconnection (past or future). */
  waitForDisconnect(timeoutMs?: number): Promise<Disconnection>;
  /** Events named `event`, in order. */
  eventsNamed<E extends SessionEventName>(event: E): ReceivedEvent<E>[];
  close(): void;
}

const DEFAULT_WAIT_MS = 5_000;
const CONNECT_TIMEOUT_MS = 5_000;

/** Every socket opened through this file, so a suite's afterAll can close whatever is left. */
const open = new Set<SessionSocket>();

/** The time of the latest event any recording socket of this test file received (0 if none). */
let lastEventAt = 0;
export function lastEventReceivedAt(): number {
  return lastEventAt;
}

function options(token: string | undefined) {
  return {
    auth: token === undefined ? {} : { token },
    transports: ['websocket'],
    reconnection: false,
    forceNew: true,
    timeout: CONNECT_TIMEOUT_MS,
  };
}

/** Connects to `${baseUrl}/sessions` with `token` and resolves once the handshake is accepted. */
export async function connectSessionSocket(
  baseUrl: string,
  token: string,
  label = 'socket',
): Promise<RecordingSocket> {
  const socket: SessionSocket = io(`${baseUrl}/sessions`, options(token));
  open.add(socket);
  const events: ReceivedEvent[] = [];
  const disconnects: Disconnection[] = [];
  const listeners = new Set<() => void>();
  const notify = (): void => listeners.forEach((listener) => listener());

  socket.onAny((event: SessionEventName, payload: unknown) => {
    const at = Date.now();
    lastEventAt = Math.max(lastEventAt, at);
    events.push({ event, payload, at } as ReceivedEvent);
    notify();
  });
  socket.on('disconnect', (reason) => {
    disconnects.push({ reason, at: Date.now() });
    open.delete(socket);
    notify();
  });

  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('connect_error', (error) => {
      open.delete(socket);
      socket.close();
      reject(new Error(`${label}: handshake refused with "${error.message}"`));
    });
  });

  /** Resolves with `find()`'s first non-undefined answer, re-checked on every event. */
  const until = <T>(find: () => T | undefined, what: string, timeoutMs: number): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      const check = (): void => {
        const found = find();
        if (found === undefined) return;
        done();
        resolve(found);
      };
      const timer = setTimeout(() => {
        done();
        reject(
          new Error(
            `${label}: no ${what} within ${timeoutMs} ms; received ${summarize(events)}, ` +
              `disconnects ${JSON.stringify(disconnects)}`,
          ),
        );
      }, timeoutMs);
      const done = (): void => {
        clearTimeout(timer);
        listeners.delete(check);
      };
      listeners.add(check);
      check();
    });

  const eventsNamed = <E extends SessionEventName>(event: E): ReceivedEvent<E>[] =>
    events.filter((e): e is ReceivedEvent<E> => e.event === event);

  return {
    label,
    sessionId: sessionIdOf(token),
    socket,
    events,
    disconnects,
    eventsNamed,
    waitFor: (event, matches = () => true, timeoutMs = DEFAULT_WAIT_MS) =>
      until(() => eventsNamed(event).find((e) => matches(e.payload)), event, timeoutMs),
    waitForDisconnect: (timeoutMs = DEFAULT_WAIT_MS) =>
      until(() => disconnects[0], 'disconnect', timeoutMs),
    close: () => {
      open.delete(socket);
      socket.close();
    },
  };
}

/**
 * Tries a handshake that the server must refuse; resolves with the `connect_error` message, and
 * fails if the socket connects instead.
 */
export function refusedHandshake(baseUrl: string, token: string | undefined): Promise<string> {
  const socket: SessionSocket = io(`${baseUrl}/sessions`, options(token));
  open.add(socket);
  return new Promise<string>((resolve, reject) => {
    const finish = (): void => {
      open.delete(socket);
      socket.close();
    };
    socket.once('connect', () => {
      finish();
      reject(new Error(`the handshake with token ${JSON.stringify(token)} was accepted`));
    });
    socket.once('connect_error', (error) => {
      finish();
      resolve(error.message);
    });
  });
}

/** Closes every socket this file opened and has not closed yet. */
export function closeAllSessionSockets(): void {
  open.forEach((socket) => socket.close());
  open.clear();
}

/** The `sid` claim of an access token (not verified: the server did that at the handshake). */
function sessionIdOf(token: string): string {
  const { sid } = decodeJwt(token).payload;
  return typeof sid === 'string' ? sid : '';
}

/** The list item of `socket`'s own session in a SESSIONS_UPDATED list, if it is there. */
export function ownSessionIn(
  socket: RecordingSocket,
  sessions: SessionListItem[],
): SessionListItem | undefined {
  return sessions.find((s) => s.id === socket.sessionId);
}

function summarize(events: ReceivedEvent[]): string {
  return JSON.stringify(events.map(({ event, payload }) => ({ event, payload })));
}
