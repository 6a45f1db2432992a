import { HttpException } from '@nestjs/common';
import { ERROR_STATUS, type SessionAuthErrorCode } from './error-codes.js';
import { ERROR_MESSAGES } from './error-messages.js';

/** The JSON body of every error answer: `{ statusCode, code, message }`. */
export interface ErrorBody {
  /** The HTTP status, repeated in the body. */
  statusCode: number;
  /** A stable code to switch on: one of {@link SessionAuthErrorCode}, or an app's own. */
  code: SessionAuthErrorCode | (string & {});
  /** Text for people; it never contains a token, a password or another user's data. */
  message: string;
}

/** Extra details of a `SessionAuthError`, e.g. `{ retryAfterSeconds: 30 }` on a 429. */
export interface SessionAuthErrorOptions {
  /** When to try again (seconds), sent as the standard `Retry-After` header (429, 503). */
  retryAfterSeconds?: number;
}

/**
 * Every error the library raises on purpose: a stable `code`, its HTTP status and a safe message.
 * It is an `HttpException` whose body is `{ statusCode, code, message }`, so an app that registers
 * no exception filter still answers 401 / 404 / ... with the code.
 *
 * @example
 * ```ts
 * if (error instanceof SessionAuthError && error.code === 'SESSION_REVOKED') signOut();
 * ```
 */
export class SessionAuthError extends HttpException {
  /**
   * Whole seconds, at least 1, after which the client may try again; sent as `Retry-After` by
   * `SessionAuthExceptionFilter`. Undefined when retrying would not help.
   */
  readonly retryAfterSeconds?: number;

  constructor(
    /** The stable code, e.g. `SESSION_REVOKED`. */
    readonly code: SessionAuthErrorCode,
    message: string = ERROR_MESSAGES[code],
    options: SessionAuthErrorOptions = {},
  ) {
    const statusCode = ERROR_STATUS[code];
    super({ statusCode, code, message } satisfies ErrorBody, statusCode);
    this.name = 'SessionAuthError';
    if (options.retryAfterSeconds !== undefined)
      this.retryAfterSeconds = Math.max(1, Math.ceil(options.retryAfterSeconds));
  }
}
