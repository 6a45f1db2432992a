import type { ManagerOptions, SocketOptions } from 'socket.io-client';
import type { HttpTransport } from './http-transport.js';
import { DEFAULT_NAMESPACE, type IoFactory } from './live-socket.js';

/** Options of `createSessionClient`. */
export interface SessionClientOptions {
  /** Where the API lives, without a trailing slash; default `''` (the page's own origin). */
  baseUrl?: string;
  /** Prefix of the session routes (`/login`, `/register`, `/logout`, `/sessions`); default `'/auth'`. */
  authPath?: string;
  /** The refresh route; default `authPath + '/refresh'`. */
  refreshPath?: string;
  /** The live socket: pass socket.io-client's `io`. Without this option there is no socket. */
  socket?: {
    io: IoFactory;
    /** Default `'/sessions'`. */
    namespace?: string;
    /** Where the socket server lives; default `baseUrl`. */
    url?: string;
    /** Passed on to `io()` (e.g. `path`, `transports`); `auth` is the client's own. */
    options?: Partial<ManagerOptions & SocketOptions>;
  };
  /** The fetch to use; default the global one (looked up at each call). */
  fetch?: typeof fetch;
  /** Cookies on the client's calls; default `'include'` (the refresh cookie, also cross-origin). */
  credentials?: RequestCredentials;
  /** Web Lock under which a refresh runs; default `'nestjs-session-auth:refresh'`. */
  lockName?: string;
  /** BroadcastChannel that hands tokens to the other tabs; default `'nestjs-session-auth'`. */
  channelName?: string;
}

/** The options with every default filled in (defaults live here and nowhere else). */
export interface ResolvedOptions {
  transport: HttpTransport;
  authPath: string;
  refreshPath: string;
  lockName: string;
  channelName: string;
  socket?: {
    io: IoFactory;
    url: string;
    options: Partial<ManagerOptions & SocketOptions>;
  };
}

export function resolveOptions(options: SessionClientOptions): ResolvedOptions {
  const baseUrl = (options.baseUrl ?? '').replace(/\/+$/, '');
  const authPath = options.authPath ?? '/auth';
  const socket = options.socket;
  return {
    transport: {
      baseUrl,
      fetch: options.fetch ?? ((input, init) => globalThis.fetch(input, init)),
      credentials: options.credentials ?? 'include',
    },
    authPath,
    refreshPath: options.refreshPath ?? `${authPath}/refresh`,
    lockName: options.lockName ?? 'nestjs-session-auth:refresh',
    channelName: options.channelName ?? 'nestjs-session-auth',
    socket: socket && {
      io: socket.io,
      url: (socket.url ?? baseUrl) + (socket.namespace ?? DEFAULT_NAMESPACE),
      options: socket.options ?? {},
    },
  };
}
