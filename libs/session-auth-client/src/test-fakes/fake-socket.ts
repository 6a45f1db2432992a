import type { IoFactory } from '../live-socket.js';

type Handler = (...args: any[]) => void;
type AuthCallback = (send: (auth: { token: string }) => void) => void;

/**
 * socket.io-client's Socket as far as the client uses it. The test plays the server: it accepts
 * the handshake (reading the token the client hands to `auth`), refuses it, pushes events or drops
 * the connection.
 */
export class FakeSocket {
  connected = false;
  /** socket.io's "will reconnect by itself". */
  active = true;
  connectCalls = 0;
  readonly handshakeTokens: string[] = [];
  private readonly handlers = new Map<string, Handler[]>();

  constructor(
    readonly url: string,
    readonly options: { auth: AuthCallback } & Record<string, unknown>,
  ) {}

  on(event: string, handler: Handler): this {
    this.handlers.set(event, [...(this.handlers.get(event) ?? []), handler]);
    return this;
  }

  connect(): this {
    this.connectCalls++;
    this.active = true;
    return this;
  }

  disconnect(): this {
    this.connected = false;
    this.active = false;
    return this;
  }

  /** The server accepts the handshake with whatever token the client sends now. */
  async accept(): Promise<string> {
    const token = await new Promise<string>((resolve) =>
      this.options.auth((auth) => resolve(auth.token)),
    );
    this.handshakeTokens.push(token);
    this.connected = true;
    this.fire('connect');
    return token;
  }

  /** The server refuses the handshake with this code; socket.io then stops retrying. */
  refuse(code: string): void {
    this.active = false;
    this.fire('connect_error', new Error(code));
  }

  /** The network goes away: socket.io will reconnect by itself. */
  drop(): void {
    this.connected = false;
    this.fire('disconnect', 'transport close');
  }

  /** The server ends the socket (as it does when the session ends); socket.io does not retry. */
  serverDisconnect(): void {
    this.connected = false;
    this.active = false;
    this.fire('disconnect', 'io server disconnect');
  }

  push(event: string, payload: unknown): void {
    this.fire(event, payload);
  }

  private fire(event: string, ...args: unknown[]): void {
    for (const handler of this.handlers.get(event) ?? []) handler(...args);
  }
}

/** An `io` that records the sockets it opens. */
export function fakeIo(): { io: IoFactory; sockets: FakeSocket[] } {
  const sockets: FakeSocket[] = [];
  const io = ((url: string, options: FakeSocket['options']) => {
    const socket = new FakeSocket(url, options);
    sockets.push(socket);
    return socket;
  }) as unknown as IoFactory;
  return { io, sockets };
}
