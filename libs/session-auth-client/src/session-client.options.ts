import type { ManagerOptions, SocketOptions } from 'socket.io-client';
import type { HttpTransport } from './http-transport.js';
import { DEFAULT_NAMESPACE, type IoFactory } from './live-socket.js';
import { defaultStorage, type SignOutStorage } from './pending-sign-out.js';
import { absoluteUrl, tokenScope } from './token-scope.js';
import { DeviceKey } from './device-key.js';
import { type DeviceKeyStore, indexedDbKeyStore } from './device-key-store.js';

/** Options of `createSessionClient`. */
export interface SessionClientOptions {
  /** Where the API lives, without a trailing slash; default `''` (the page's own origin). */
  baseUrl?: string;
  /** Prefix of the library's session routes (`/refresh`, `/logout`, `/sessions`); default `'/auth'`. */
  authPath?: string;
  /**
   * The app's own sign-in route, which `signIn(body)` posts to (the library serves none), e.g.
   * `'/auth/login'`. Without it `signIn` rejects; an app may instead call its route itself and
   * hand the answer to `accept()`.
   */
  signInPath?: string;
  /** The app's own sign-up route, which `signUp(body)` posts to, e.g. `'/auth/register'`. */
  signUpPath?: string;
  /**
   * More origins that `client.fetch` sends the access token to (e.g. `'https://files.example.com'`);
   * default none: only the origin of `baseUrl` (or of the page) gets it, any other request goes
   * out without it.
   */
  tokenOrigins?: string[];
  /**
   * Where a sign-out that the server has not confirmed is kept until it is sent again (before the
   * next `restore()`); default `localStorage`; `null`: this page's memory only.
   */
  storage?: SignOutStorage | null;
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
  /** Web Lock under which a refresh runs; default `'nestjs-session-auth:refresh:' + <the absolute baseUrl>`. */
  lockName?: string;
  /** BroadcastChannel that hands tokens to the other tabs; default `'nestjs-session-auth:' + <the absolute baseUrl>`. */
  channelName?: string;
  /**
   * Device-bound sessions: a non-extractable ECDSA P-256 key made at every sign-in, kept in
   * IndexedDB, proving each refresh (DPoP). Default `true`; `false` signs in unbound; `{ store }`
   * keeps the key elsewhere. Where WebCrypto or IndexedDB is missing, `client.deviceKey` says so
   * and the client signs in unbound (which a server with `deviceBinding: 'required'` refuses).
   */
  deviceKey?: boolean | { store: DeviceKeyStore };
}

/** The options with every default filled in (defaults live here and nowhere else). */
export interface ResolvedOptions {
  transport: HttpTransport;
  authPath: string;
  refreshPath: string;
  signInPath?: string;
  signUpPath?: string;
  /** Whether a request URL may carry the access token. */
  tokenAllowed: (url: string) => boolean;
  storage?: SignOutStorage;
  /** Names this API in browser-wide names (lock, channel, storage key): its absolute base URL. */
  scope: string;
  lockName: string;
  channelName: string;
  /** The device key, unless `deviceKey: false`. */
  deviceKey?: DeviceKey;
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
  // Tabs of apps with different APIs on one origin must not share tokens, locks or sign-outs.
  const scope = absoluteUrl(baseUrl || '/')?.replace(/\/+$/, '') ?? baseUrl;
  const storage = options.storage === null ? undefined : (options.storage ?? defaultStorage());
  return {
    transport: {
      baseUrl,
      fetch: options.fetch ?? ((input, init) => globalThis.fetch(input, init)),
      credentials: options.credentials ?? 'include',
    },
    authPath,
    refreshPath: options.refreshPath ?? `${authPath}/refresh`,
    signInPath: options.signInPath,
    signUpPath: options.signUpPath,
    tokenAllowed: tokenScope(baseUrl || '/', options.tokenOrigins ?? []),
    storage,
    scope,
    lockName: options.lockName ?? `nestjs-session-auth:refresh:${scope}`,
    channelName: options.channelName ?? `nestjs-session-auth:${scope}`,
    deviceKey:
      options.deviceKey === false
        ? undefined
        : new DeviceKey(
            options.deviceKey === true || options.deviceKey === undefined
              ? indexedDbKeyStore(scope)
              : options.deviceKey.store,
            storage && { storage, key: `nestjs-session-auth:dpop-nonce:${scope}` },
          ),
    socket: socket && {
      io: socket.io,
      url: (socket.url ?? baseUrl) + (socket.namespace ?? DEFAULT_NAMESPACE),
      options: socket.options ?? {},
    },
  };
}
