import {
  type ArgumentsHost,
  Catch,
  type ExceptionFilter,
  HttpException,
  Logger,
} from '@nestjs/common';
import { ERROR_STATUS, type SessionAuthErrorCode } from './error-codes.js';
import { ERROR_MESSAGES } from './error-messages.js';
import { type ErrorBody, SessionAuthError } from './session-auth.error.js';

export type { ErrorBody };

const CODE_FOR_STATUS: Partial<Record<number, SessionAuthErrorCode>> = {
  400: 'VALIDATION_FAILED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  422: 'VALIDATION_FAILED',
  429: 'RATE_LIMITED',
  503: 'DATABASE_UNAVAILABLE',
};

/** Turns any thrown value into `{ statusCode, code, message }`; unknown errors become a logged 500. */
export function toErrorBody(error: unknown, logger?: Logger): ErrorBody {
  if (error instanceof SessionAuthError) {
    return { statusCode: error.getStatus(), code: error.code, message: error.message };
  }
  // An app's own HttpException that already carries a code keeps it (e.g. EMAIL_TAKEN).
  if (error instanceof HttpException && hasCode(error.getResponse())) {
    const { code, message } = error.getResponse() as { code: string; message?: unknown };
    return {
      statusCode: error.getStatus(),
      code,
      message:
        typeof message === 'string'
          ? message
          : (ERROR_MESSAGES[code as SessionAuthErrorCode] ?? code),
    };
  }
  if (error instanceof HttpException) {
    const status = error.getStatus();
    const code = codeForStatus(status) ?? (status === 401 ? 'ACCESS_TOKEN_INVALID' : undefined);
    if (code) return { statusCode: status, code, message: httpExceptionMessage(error, code) };
  }
  // Middleware errors (body parsers of Express and Fastify) carry a client error status.
  const { status, statusCode } = (error ?? {}) as { status?: unknown; statusCode?: unknown };
  const clientStatus = typeof status === 'number' ? status : statusCode;
  const code = typeof clientStatus === 'number' ? codeForStatus(clientStatus) : undefined;
  if (typeof clientStatus === 'number' && code) {
    return { statusCode: clientStatus, code, message: ERROR_MESSAGES[code] };
  }
  if (isDatabaseUnavailable(error)) {
    return {
      statusCode: 503,
      code: 'DATABASE_UNAVAILABLE',
      message: ERROR_MESSAGES.DATABASE_UNAVAILABLE,
    };
  }
  logger?.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
  return {
    statusCode: ERROR_STATUS.INTERNAL_ERROR,
    code: 'INTERNAL_ERROR',
    message: ERROR_MESSAGES.INTERNAL_ERROR,
  };
}

/** A client error keeps its status; one we have no specific code for is BAD_REQUEST. Never a 500. */
function codeForStatus(status: number): SessionAuthErrorCode | undefined {
  if (CODE_FOR_STATUS[status]) return CODE_FOR_STATUS[status];
  return status >= 400 && status < 500 && status !== 401 ? 'BAD_REQUEST' : undefined;
}

function httpExceptionMessage(error: HttpException, code: SessionAuthErrorCode): string {
  const response = error.getResponse();
  const message =
    typeof response === 'object' && response
      ? (response as { message?: unknown }).message
      : response;
  if (code === 'VALIDATION_FAILED' && Array.isArray(message)) return message.join('; ');
  if (code === 'VALIDATION_FAILED' && typeof message === 'string') return message;
  return ERROR_MESSAGES[code];
}

function hasCode(response: unknown): boolean {
  return (
    typeof response === 'object' &&
    response !== null &&
    typeof (response as { code?: unknown }).code === 'string'
  );
}

/** Seconds for the standard `Retry-After` header, when the error says when to try again. */
export function retryAfterOf(error: unknown): number | undefined {
  return error instanceof SessionAuthError ? error.retryAfterSeconds : undefined;
}

/** Connection-level failures of PostgreSQL (refused, reset, timed out, shutting down). */
function isDatabaseUnavailable(error: unknown): boolean {
  const e = error as { code?: unknown; message?: unknown } | null;
  const code = typeof e?.code === 'string' ? e.code : '';
  if (
    ['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', '57P01', '57P03', '53300'].includes(code)
  )
    return true;
  // Class 08, connection exception: what a pooler (PgBouncer) answers when it cannot reach the
  // server in time (query_wait_timeout, server login retry, server connection crashed).
  if (/^08[0-9A-Z]{3}$/.test(code)) return true;
  const message = typeof e?.message === 'string' ? e.message : '';
  // pg's own wording: a dropped connection, a pool that cannot connect, a query past query_timeout.
  return /Connection terminated|timeout exceeded when trying to connect|Connection refused|Query read timeout/i.test(
    message,
  );
}

/**
 * Opt-in filter that gives every error of an HTTP request the library's JSON shape
 * `{ statusCode, code, message }`: the library's own errors already have it without the filter;
 * with it, framework errors (404, validation, ...) and unknown errors (a logged 500, or a 503 when
 * PostgreSQL is unreachable) get it too. Works on Express and Fastify. Subclass it and override
 * {@link SessionAuthExceptionFilter.toBody} to shape an app's own errors first.
 *
 * @example
 * ```ts
 * app.useGlobalFilters(new SessionAuthExceptionFilter());
 * ```
 */
@Catch()
export class SessionAuthExceptionFilter implements ExceptionFilter {
  protected readonly logger = new Logger('SessionAuth');

  catch(error: unknown, host: ArgumentsHost): void {
    if (host.getType() !== 'http') throw error;
    const response = host.switchToHttp().getResponse<HttpReply>();
    const body = this.toBody(error);
    if (response.headersSent || response.sent) return;
    const retryAfter = retryAfterOf(error);
    if (retryAfter !== undefined) response.header('Retry-After', String(retryAfter));
    // Express's `status().json()` and Fastify's `status().send()` both serialise an object as JSON.
    response.status(body.statusCode).send(body);
  }

  /** The body for `error`; override to map an app's own errors, then call `super.toBody`. */
  protected toBody(error: unknown): ErrorBody {
    return toErrorBody(error, this.logger);
  }
}

/** What the filter needs of an Express response or a Fastify reply. */
interface HttpReply {
  headersSent?: boolean;
  sent?: boolean;
  status(code: number): { send(body: unknown): unknown };
  header(name: string, value: string): unknown;
}
