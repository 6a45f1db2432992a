/**
 * Every stable error code of the library and the HTTP status it maps to. Clients switch on `code`,
 * never on `message`. An app's own codes (e.g. `INVALID_CREDENTIALS` for its login) are its own.
 */
export const ERROR_STATUS = {
  VALIDATION_FAILED: 400,
  /** Any other client error the framework raises (the HTTP status is kept). */
  BAD_REQUEST: 400,
  ACCESS_TOKEN_MISSING: 401,
  ACCESS_TOKEN_INVALID: 401,
  ACCESS_TOKEN_EXPIRED: 401,
  SESSION_REVOKED: 401,
  SESSION_NOT_FRESH: 401,
  REFRESH_TOKEN_MISSING: 401,
  REFRESH_TOKEN_INVALID: 401,
  REFRESH_TOKEN_EXPIRED: 401,
  REFRESH_TOKEN_REUSED: 401,
  DEVICE_MISMATCH: 401,
  /** `deviceBinding: 'required'` and the sign-in (or refresh of an unbound session) proved no device key. */
  DEVICE_KEY_REQUIRED: 401,
  /** The `DPoP` proof is malformed, not signed by its key, or for another method or URL. */
  DPOP_PROOF_INVALID: 401,
  /** The proof lacks a fresh server nonce (or its `iat` is off): retry with the `DPoP-Nonce` header's nonce. */
  DPOP_NONCE_REQUIRED: 401,
  /** This proof (its `jti`) was already used. */
  DPOP_PROOF_REPLAYED: 401,
  /** A DBSC registration JWT that is malformed, not signed by its key, or for a wrong or used challenge. */
  DBSC_REGISTRATION_INVALID: 400,
  /** A DBSC refresh without `Sec-Secure-Session-Id`, or with a malformed proof. */
  DBSC_REFRESH_INVALID: 400,
  FORBIDDEN: 403,
  /** DBSC refresh: sign the challenge of the `Secure-Session-Challenge` header and retry. */
  DBSC_PROOF_REQUIRED: 403,
  SESSION_NOT_FOUND: 404,
  /** A DBSC registration for a session already bound to another device key. */
  DEVICE_ALREADY_BOUND: 409,
  NOT_FOUND: 404,
  RATE_LIMITED: 429,
  /** The client closed the connection before the answer (nginx's 499): nobody reads this one. */
  CLIENT_CLOSED_REQUEST: 499,
  INTERNAL_ERROR: 500,
  DATABASE_UNAVAILABLE: 503,
  /** Too many password checks queued; comes with Retry-After. */
  SERVER_BUSY: 503,
} as const;

/** A stable error code of the library. */
export type SessionAuthErrorCode = keyof typeof ERROR_STATUS;
