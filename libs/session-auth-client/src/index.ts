export { createSessionClient, type SessionClient } from './session-client.js';
export type { SessionClientOptions } from './session-client.options.js';
export { SessionClientError } from './session-client.error.js';
export type { Observable } from './emitter.js';
export type { IoFactory } from './live-socket.js';
export type {
  ConnectionStatus,
  IssuedSession,
  SessionClientEvents,
  SessionItem,
  SessionPayload,
  SessionState,
  SignedOutReason,
} from './types.js';
export type { SignOutStorage } from './pending-sign-out.js';
export type { DeviceKeySupport } from './device-key.js';
export { memoryKeyStore, type DeviceKeyStore } from './device-key-store.js';
export {
  SESSIONS_NAMESPACE,
  type SessionClientToServerEvents,
  type SessionEndReason,
  type SessionListItem,
  type SessionServerToClientEvents,
  type SessionSocketAuth,
  type SessionView,
} from './contract.js';
