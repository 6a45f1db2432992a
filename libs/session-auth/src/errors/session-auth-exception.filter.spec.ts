import { jest } from '@jest/globals';
import {
  type ArgumentsHost,
  BadRequestException,
  HttpException,
  Logger,
  NotFoundException,
  PayloadTooLargeException,
  UnauthorizedException,
} from '@nestjs/common';
import { ERROR_STATUS } from './error-codes.js';
import { ERROR_MESSAGES } from './error-messages.js';
import { SessionAuthExceptionFilter, toErrorBody } from './session-auth-exception.filter.js';
import { SessionAuthError } from './session-auth.error.js';

/** A logger that records instead of printing. */
function silentLogger() {
  const logger = new Logger('test');
  const error = jest.spyOn(logger, 'error').mockImplementation(() => undefined);
  return { logger, error };
}

describe('toErrorBody for client errors without a specific code', () => {
  it('keeps the status of every 4xx and never turns it into a 500', () => {
    expect(toErrorBody(new HttpException('Forbidden resource', 403))).toMatchObject({
      statusCode: 403,
      code: 'FORBIDDEN',
    });
    expect(toErrorBody({ status: 415, type: 'charset.unsupported' })).toMatchObject({
      statusCode: 415,
      code: 'BAD_REQUEST',
    });
    expect(toErrorBody(new HttpException('no', 405))).toMatchObject({
      statusCode: 405,
      code: 'BAD_REQUEST',
    });
    expect(toErrorBody(new HttpException('no', 422))).toMatchObject({
      statusCode: 422,
      code: 'VALIDATION_FAILED',
    });
  });
});

describe('SessionAuthError', () => {
  it('carries its code, the mapped status and the message from the messages file', () => {
    const error = new SessionAuthError('REFRESH_TOKEN_REUSED');

    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe('SessionAuthError');
    expect(error.code).toBe('REFRESH_TOKEN_REUSED');
    expect(error.getStatus()).toBe(401);
    expect(error.message).toBe(ERROR_MESSAGES.REFRESH_TOKEN_REUSED);
  });

  it('takes a custom message', () => {
    expect(new SessionAuthError('VALIDATION_FAILED', 'email must be an email').message).toBe(
      'email must be an email',
    );
  });

  it.each([
    ['VALIDATION_FAILED', 400],
    ['ACCESS_TOKEN_MISSING', 401],
    ['ACCESS_TOKEN_INVALID', 401],
    ['ACCESS_TOKEN_EXPIRED', 401],
    ['SESSION_REVOKED', 401],
    ['REFRESH_TOKEN_MISSING', 401],
    ['REFRESH_TOKEN_INVALID', 401],
    ['REFRESH_TOKEN_EXPIRED', 401],
    ['REFRESH_TOKEN_REUSED', 401],
    ['SESSION_NOT_FOUND', 404],
    ['RATE_LIMITED', 429],
    ['INTERNAL_ERROR', 500],
    ['DATABASE_UNAVAILABLE', 503],
  ] as const)('maps %s to %d (the contract of docs/design.md)', (code, status) => {
    expect(ERROR_STATUS[code]).toBe(status);
    expect(new SessionAuthError(code).getStatus()).toBe(status);
  });

  it('has a non-empty message for every code', () => {
    for (const code of Object.keys(ERROR_STATUS) as (keyof typeof ERROR_STATUS)[]) {
      expect(ERROR_MESSAGES[code]).toEqual(expect.any(String));
      expect(ERROR_MESSAGES[code].length).toBeGreaterThan(0);
    }
  });
});

describe('toErrorBody', () => {
  it('maps a SessionAuthError to its status, code and message', () => {
    expect(toErrorBody(new SessionAuthError('SESSION_REVOKED'))).toEqual({
      statusCode: 401,
      code: 'SESSION_REVOKED',
      message: ERROR_MESSAGES.SESSION_REVOKED,
    });
    expect(toErrorBody(new SessionAuthError('SESSION_NOT_FOUND'))).toEqual({
      statusCode: 404,
      code: 'SESSION_NOT_FOUND',
      message: ERROR_MESSAGES.SESSION_NOT_FOUND,
    });
  });

  it('keeps the custom message of a SessionAuthError', () => {
    expect(toErrorBody(new SessionAuthError('VALIDATION_FAILED', 'scope is wrong'))).toEqual({
      statusCode: 400,
      code: 'VALIDATION_FAILED',
      message: 'scope is wrong',
    });
  });

  describe('Nest HttpExceptions', () => {
    it('turns a 400 with an array of messages (ValidationPipe) into one joined message', () => {
      const error = new BadRequestException(['email must be an email', 'password is too short']);

      expect(toErrorBody(error)).toEqual({
        statusCode: 400,
        code: 'VALIDATION_FAILED',
        message: 'email must be an email; password is too short',
      });
    });

    it('keeps the string message of a 400 (e.g. ParseUUIDPipe)', () => {
      const error = new BadRequestException('Validation failed (uuid is expected)');

      expect(toErrorBody(error)).toEqual({
        statusCode: 400,
        code: 'VALIDATION_FAILED',
        message: 'Validation failed (uuid is expected)',
      });
    });

    it('maps 404, 413 and 429 to their codes with the library messages', () => {
      expect(toErrorBody(new NotFoundException('Cannot GET /nope'))).toEqual({
        statusCode: 404,
        code: 'NOT_FOUND',
        message: ERROR_MESSAGES.NOT_FOUND,
      });
      expect(toErrorBody(new PayloadTooLargeException())).toEqual({
        statusCode: 413,
        code: 'BAD_REQUEST',
        message: ERROR_MESSAGES.BAD_REQUEST,
      });
      // What @nestjs/throttler throws (its CommonJS build cannot load under Jest's ESM mode).
      expect(toErrorBody(new HttpException('ThrottlerException: Too Many Requests', 429))).toEqual({
        statusCode: 429,
        code: 'RATE_LIMITED',
        message: ERROR_MESSAGES.RATE_LIMITED,
      });
    });

    it('maps a bare 401 to ACCESS_TOKEN_INVALID', () => {
      expect(toErrorBody(new UnauthorizedException())).toEqual({
        statusCode: 401,
        code: 'ACCESS_TOKEN_INVALID',
        message: ERROR_MESSAGES.ACCESS_TOKEN_INVALID,
      });
    });

    it('does not echo the text of a non-validation HttpException', () => {
      const body = toErrorBody(new HttpException('internal detail: row 42 locked', 429));

      expect(body.message).not.toContain('row 42');
    });
  });

  describe('errors of HTTP middleware (body parsers)', () => {
    it('keeps the client error status of an Express or Fastify body parser error', () => {
      const express = Object.assign(new Error('request entity too large'), {
        status: 413,
        type: 'entity.too.large',
      });
      const fastify = Object.assign(new Error('Body cannot be empty'), { statusCode: 400 });

      expect(toErrorBody(express)).toEqual({
        statusCode: 413,
        code: 'BAD_REQUEST',
        message: ERROR_MESSAGES.BAD_REQUEST,
      });
      expect(toErrorBody(fastify)).toEqual({
        statusCode: 400,
        code: 'VALIDATION_FAILED',
        message: ERROR_MESSAGES.VALIDATION_FAILED,
      });
    });
  });

  describe("an app's own HttpException with a code", () => {
    it('keeps its status, code and message', () => {
      const error = new HttpException(
        { statusCode: 409, code: 'EMAIL_TAKEN', message: 'An account with this email exists.' },
        409,
      );

      expect(toErrorBody(error)).toEqual({
        statusCode: 409,
        code: 'EMAIL_TAKEN',
        message: 'An account with this email exists.',
      });
    });
  });

  describe('database connection failures', () => {
    it.each([
      'ECONNREFUSED',
      'ECONNRESET',
      'ETIMEDOUT',
      '57P01',
      '57P03',
      '53300',
      '08P01',
      '08006',
    ])('maps error code %s to 503 DATABASE_UNAVAILABLE', (code) => {
      const error = Object.assign(new Error(`connect ${code} 127.0.0.1:5432`), { code });

      expect(toErrorBody(error)).toEqual({
        statusCode: 503,
        code: 'DATABASE_UNAVAILABLE',
        message: ERROR_MESSAGES.DATABASE_UNAVAILABLE,
      });
    });

    it.each([
      'Connection terminated unexpectedly',
      'timeout exceeded when trying to connect',
      'Connection terminated due to connection timeout',
    ])('maps the pg message %j to 503', (message) => {
      expect(toErrorBody(new Error(message))).toMatchObject({
        statusCode: 503,
        code: 'DATABASE_UNAVAILABLE',
      });
    });

    it('does not treat an ordinary query error (unique violation) as unavailability', () => {
      const { logger } = silentLogger();
      const error = Object.assign(new Error('duplicate key value violates unique constraint'), {
        code: '23505',
      });

      expect(toErrorBody(error, logger)).toMatchObject({ statusCode: 500, code: 'INTERNAL_ERROR' });
    });
  });

  describe('anything else', () => {
    it('becomes a 500 INTERNAL_ERROR that does not leak the message, and is logged', () => {
      const { logger, error } = silentLogger();
      const body = toErrorBody(new Error('secret stack detail: password=hunter2'), logger);

      expect(body).toEqual({
        statusCode: 500,
        code: 'INTERNAL_ERROR',
        message: ERROR_MESSAGES.INTERNAL_ERROR,
      });
      expect(JSON.stringify(body)).not.toContain('hunter2');
      expect(error).toHaveBeenCalledTimes(1);
      expect(String(error.mock.calls[0][0])).toContain('hunter2');
    });

    it.each([[undefined], [null], ['a string'], [42], [{}]])(
      'handles the thrown non-error %p',
      (thrown) => {
        const { logger } = silentLogger();

        expect(toErrorBody(thrown, logger)).toEqual({
          statusCode: 500,
          code: 'INTERNAL_ERROR',
          message: ERROR_MESSAGES.INTERNAL_ERROR,
        });
      },
    );
  });
});

describe('SessionAuthExceptionFilter', () => {
  function httpHost(headersSent = false) {
    const response = {
      headersSent,
      status: jest.fn<(code: number) => unknown>(),
      send: jest.fn<(body: unknown) => unknown>(),
      header: jest.fn<(name: string, value: string) => unknown>(),
    };
    response.status.mockReturnValue(response);
    const host = {
      getType: () => 'http',
      switchToHttp: () => ({ getResponse: () => response }),
    } as unknown as ArgumentsHost;
    return { host, response };
  }

  it('writes the status and the JSON body', () => {
    const { host, response } = httpHost();

    new SessionAuthExceptionFilter().catch(new SessionAuthError('RATE_LIMITED'), host);

    expect(response.status).toHaveBeenCalledWith(429);
    expect(response.send).toHaveBeenCalledWith({
      statusCode: 429,
      code: 'RATE_LIMITED',
      message: ERROR_MESSAGES.RATE_LIMITED,
    });
  });

  it('answers in an app without the filter too: SessionAuthError is an HttpException', () => {
    const error = new SessionAuthError('SESSION_REVOKED');

    expect(error).toBeInstanceOf(HttpException);
    expect(error.getStatus()).toBe(401);
    expect(error.getResponse()).toEqual({
      statusCode: 401,
      code: 'SESSION_REVOKED',
      message: ERROR_MESSAGES.SESSION_REVOKED,
    });
  });

  it('sends the standard Retry-After header (whole seconds) when the error says when to retry', () => {
    const { host, response } = httpHost();

    new SessionAuthExceptionFilter().catch(
      new SessionAuthError('RATE_LIMITED', undefined, { retryAfterSeconds: 41.2 }),
      host,
    );

    expect(response.header).toHaveBeenCalledWith('Retry-After', '42');
    expect(response.status).toHaveBeenCalledWith(429);
  });

  it('sends no Retry-After when the error does not say when to retry', () => {
    const { host, response } = httpHost();

    new SessionAuthExceptionFilter().catch(new SessionAuthError('SESSION_REVOKED'), host);

    expect(response.header).not.toHaveBeenCalled();
  });

  it('writes nothing when the headers were already sent', () => {
    const { host, response } = httpHost(true);

    new SessionAuthExceptionFilter().catch(new SessionAuthError('RATE_LIMITED'), host);

    expect(response.status).not.toHaveBeenCalled();
    expect(response.send).not.toHaveBeenCalled();
  });

  it('rethrows outside HTTP (e.g. WebSocket) so that context handles it', () => {
    const error = new SessionAuthError('ACCESS_TOKEN_INVALID');
    const host = { getType: () => 'ws' } as unknown as ArgumentsHost;

    expect(() => new SessionAuthExceptionFilter().catch(error, host)).toThrow(error);
  });
});
