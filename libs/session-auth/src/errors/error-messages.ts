import type { SessionAuthErrorCode } from './error-codes.js';

/** User-facing text, in one place. Never include a token, a password or another user's data. */
export const ERROR_MESSAGES: Record<SessionAuthErrorCode, string> = {
  VALIDATION_FAILED: 'The request is not valid.',
  BAD_REQUEST: 'The request cannot be served as sent.',
  FORBIDDEN: 'This request is not allowed.',
  ACCESS_TOKEN_MISSING: 'An access token is required (Authorization: Bearer <token>).',
  ACCESS_TOKEN_INVALID: 'The access token is not valid.',
  ACCESS_TOKEN_EXPIRED: 'The access token has expired; refresh it.',
  SESSION_REVOKED: 'This session has ended; sign in again.',
  SESSION_NOT_FRESH: 'This action needs a recent sign-in; sign in again.',
  REFRESH_TOKEN_MISSING: 'A refresh token is required.',
  REFRESH_TOKEN_INVALID: 'The refresh token is not valid.',
  REFRESH_TOKEN_EXPIRED: 'The session has expired; sign in again.',
  REFRESH_TOKEN_REUSED:
    'This refresh token was already used; the session has been ended for safety.',
  DEVICE_MISMATCH: 'This refresh token belongs to another device.',
  DEVICE_KEY_REQUIRED: 'This server requires a device key (a DPoP proof) to sign in.',
  DPOP_PROOF_INVALID: 'The device proof is not valid.',
  DPOP_NONCE_REQUIRED:
    'The device proof needs a fresh server nonce; retry with the DPoP-Nonce header.',
  DPOP_PROOF_REPLAYED: 'This device proof was already used.',
  DBSC_REGISTRATION_INVALID: 'The DBSC registration is not valid.',
  DBSC_REFRESH_INVALID: 'The DBSC refresh is not valid.',
  DBSC_PROOF_REQUIRED: 'Sign the challenge of the Secure-Session-Challenge header and retry.',
  DEVICE_ALREADY_BOUND: 'This session is already bound to another device key.',
  SESSION_NOT_FOUND: 'No such session.',
  NOT_FOUND: 'No such route.',
  RATE_LIMITED: 'Too many attempts; try again later.',
  CLIENT_CLOSED_REQUEST: 'The client closed the request before the answer.',
  INTERNAL_ERROR: 'Something went wrong on our side.',
  SERVER_BUSY: 'The server is busy; try again shortly.',
  DATABASE_UNAVAILABLE: 'The session store is unavailable; try again shortly.',
};
