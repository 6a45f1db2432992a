import {
  type ArgumentsHost,
  Catch,
  type ExceptionFilter,
  HttpException,
  Logger,
} from '@nestjs/common';
import type { Response } from 'express';
import { ERROR_STATUS, type SessionAuthErrorCode } from './error-codes.js';
import { ERROR_MESSAGES } from './error-messages.js';
import { SessionAuthError } from './session-auth.error.js';

export interface ErrorBody {
  statusCode: number;
  code: SessionAuthErrorCode;
  message: string;
}

const CODE_FOR_STATUS: Partial<Record<number, SessionAuthErrorCode>> = {
  400: 'VALIDATION_FAILED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  413: 'PAYLOAD_TOO_LARGE',
  415: 'UNSUPPORTED_MEDIA_TYPE',
  422: 'VALIDATION_FAILED',
  429: 'RATE_LIMITED',
  503: 'DATABASE_UNAVAILABLE',
};

/** Turns any thrown value into `{ statusCode, code, message }`; unknown errors become a logged 500. */
export function toErrorBody(error: unknown, logger?: Logger): ErrorBody {
  if (error instanceof SessionAuthError) {
    return { statusCode: error.status, code: error.code, message: error.message };
  }
  if (error instanceof HttpException) {
    const status = error.getStatus();
    const code = codeForStatus(status) ?? (status === 401 ? 'ACCESS_TOKEN_INVALID' : undefined);
    if (code) return { statusCode: status, code, message: httpExceptionMessage(error, code) };
  }
  // body-parser and other Express middleware errors carry a status and a type.
  const { status, type } = (error ?? {}) as { status?: unknown; type?: unknown };
  const code = typeof status === 'number' ? codeForStatus(status) : undefined;
  if (typeof status === 'number' && code) {
    const message =
      type === 'entity.parse.failed' ? 'The request body is not valid JSON.' : ERROR_MESSAGES[code];
    return { statusCode: status, code, message };
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

/** Connection-level failures of PostgreSQL (refused, reset, timed out, shutting down). */
function isDatabaseUnavailable(error: unknown): boolean {
  const e = error as { code?: unknown; message?: unknown } | null;
  const code = typeof e?.code === 'string' ? e.code : '';
  if (
    ['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', '57P01', '57P03', '53300'].includes(code)
  )
    return true;
  const message = typeof e?.message === 'string' ? e.message : '';
  // pg's own wording: a dropped connection, a pool that cannot connect, a query past query_timeout.
  return /Connection terminated|timeout exceeded when trying to connect|Connection refused|Query read timeout/i.test(
    message,
  );
}

/** Maps every error of an HTTP request to the stable JSON error shape. Register it globally in the app. */
@Catch()
export class SessionAuthExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger('SessionAuth');

  catch(error: unknown, host: ArgumentsHost): void {
    if (host.getType() !== 'http') throw error;
    const response = host.switchToHttp().getResponse<Response>();
    const body = toErrorBody(error, this.logger);
    if (response.headersSent) return;
    response.status(body.statusCode).json(body);
  }
}
