import { ERROR_STATUS, type SessionAuthErrorCode } from './error-codes.js';
import { ERROR_MESSAGES } from './error-messages.js';

/** Every error the library raises on purpose: a stable `code`, its HTTP `status`, a safe message. */
export class SessionAuthError extends Error {
  readonly status: number;

  constructor(
    readonly code: SessionAuthErrorCode,
    message: string = ERROR_MESSAGES[code],
  ) {
    super(message);
    this.name = 'SessionAuthError';
    this.status = ERROR_STATUS[code];
  }
}
