/**
 * `nestjs-session-auth`: device-aware session authentication for NestJS. Everything an app types
 * against; the socket contract for browsers is `nestjs-session-auth/socket-events`, test helpers
 * are `nestjs-session-auth/testing`.
 * @module
 */
export { SessionAuthModule } from './session-auth.module.js';
export {
  SESSION_AUTH_OPTIONS,
  SESSION_AUTH_OPTIONS_TYPE,
  SESSION_AUTH_ASYNC_OPTIONS_TYPE,
  type SessionAuthOptionsFactory,
} from './session-auth.module-definition.js';
export {
  SESSION_AUTH_DEFAULTS,
  SessionAuthOptionsError,
  type DeviceBindingPolicy,
  type MetricsRegistryLike,
  type RefreshTransport,
  type SessionAuthExtras,
  type SessionAuthOptions,
} from './config/session-auth.options.js';
export type { RedisClientLike } from './redis/redis-client.js';
export { IS_PUBLIC_KEY, FRESH_SESSION_KEY, DEVICE_PROOF_KEY } from './session-auth.constants.js';

export { SessionService, type IssuedSession } from './sessions/session.service.js';
export type { AuthenticatedSession } from './sessions/session-verifier.js';
export type { SessionContext } from './sessions/session-context.js';
export type { DeviceProofRequest } from './binding/device-proof.service.js';
export { DPOP_NONCE_HEADER } from './binding/proof-headers.js';
export type { SessionListItem, SessionView } from './sessions/session-view.type.js';
export { SessionEntity, type DeviceKeySource } from './persistence/session.entity.js';
export type { RevokeReason } from './persistence/revoke-reason.js';
export { sessionAuthEntities, sessionAuthMigrations } from './persistence/session-auth.schema.js';
export type { CleanupResult } from './cleanup/cleanup.service.js';
export { SessionIoAdapter } from './gateway/session-io-adapter.factory.js';
export type { TheftCause } from './binding/theft-cause.js';
export type { AccessTokenClaims } from './tokens/access-token.service.js';
export type { PasswordJobOptions } from './passwords/password.service.js';

export { SessionAuthGuard } from './auth/session-auth.guard.js';
export type { AuthTarget } from './auth/auth-target.js';
export { Public } from './auth/public.decorator.js';
export { CurrentSession, CurrentUser } from './auth/current-session.decorator.js';
export { RequireFreshSession } from './auth/require-fresh-session.decorator.js';
export { RequireDeviceProof } from './auth/require-device-proof.decorator.js';

export { RefreshTokenTransport, type IssuedSessionBody } from './http/refresh-token-transport.js';
export type { HttpRequestLike, HttpResponseLike } from './http/http-types.js';
export { sessionContextOf } from './http/request-context.js';

export {
  SessionAuthError,
  type ErrorBody,
  type SessionAuthErrorOptions,
} from './errors/session-auth.error.js';
export { ERROR_STATUS, type SessionAuthErrorCode } from './errors/error-codes.js';
export { ERROR_MESSAGES } from './errors/error-messages.js';
export { SessionAuthExceptionFilter, toErrorBody } from './errors/session-auth-exception.filter.js';

export {
  SessionEvents,
  type SessionCreatedEvent,
  type SessionRotatedEvent,
  type SessionTerminatedEvent,
  type SessionReuseDetectedEvent,
} from './events/session-events.js';
