import { type ArgumentsHost, HttpException, type Logger } from '@nestjs/common';
import { type ErrorBody, SessionAuthExceptionFilter, toErrorBody } from 'nestjs-session-auth';

/** The demo's own error codes (its users and its body parser), next to the library's. */
export const DEMO_ERRORS = {
  INVALID_CREDENTIALS: { status: 401, message: 'Email or password is wrong.' },
  EMAIL_TAKEN: { status: 409, message: 'An account with this email already exists.' },
  PAYLOAD_TOO_LARGE: { status: 413, message: 'The request body is too large.' },
  UNSUPPORTED_MEDIA_TYPE: {
    status: 415,
    message: 'Send the body as JSON (UTF-8, not compressed).',
  },
} as const;

export type DemoErrorCode = keyof typeof DEMO_ERRORS;

/** An error of the demo with the library's body shape `{ statusCode, code, message }`. */
export class DemoError extends HttpException {
  constructor(readonly code: DemoErrorCode) {
    const { status, message } = DEMO_ERRORS[code];
    super({ statusCode: status, code, message } satisfies ErrorBody, status);
  }
}

/** The error body of any error, including the body parser's (malformed JSON, too large, not JSON). */
export function demoErrorBody(error: unknown, logger: Logger): ErrorBody {
  const { status, type } = (error ?? {}) as { status?: unknown; type?: unknown };
  if (type === 'entity.parse.failed')
    return {
      statusCode: 400,
      code: 'VALIDATION_FAILED',
      message: 'The request body is not valid JSON.',
    };
  if (status === 413) return new DemoError('PAYLOAD_TOO_LARGE').getResponse() as ErrorBody;
  if (status === 415) return new DemoError('UNSUPPORTED_MEDIA_TYPE').getResponse() as ErrorBody;
  return toErrorBody(error, logger);
}

/**
 * The library's filter, plus the body parser's errors. A failure (5xx) is also left on the
 * response as `err`, so the request's log line ("request errored") carries it beside the request id.
 */
export class DemoExceptionFilter extends SessionAuthExceptionFilter {
  override catch(error: unknown, host: ArgumentsHost): void {
    super.catch(error, host);
    if (host.getType() !== 'http') return;
    const response = host.switchToHttp().getResponse<{ statusCode?: number; err?: unknown }>();
    if ((response.statusCode ?? 0) >= 500) response.err = error;
  }

  protected override toBody(error: unknown): ErrorBody {
    return demoErrorBody(error, this.logger);
  }
}
