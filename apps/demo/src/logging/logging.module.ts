import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { LoggerModule } from 'nestjs-pino';
import { stdSerializers } from 'pino';

/**
 * Everything that could carry a credential. Bodies are never logged; these paths cover headers,
 * and the same names anywhere in a logged object (`*.password`) for good measure.
 */
export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'res.headers["set-cookie"]',
  'req.body',
  '*.password',
  '*.currentPassword',
  '*.newPassword',
  '*.refreshToken',
  '*.accessToken',
  '*.token',
];

/**
 * The request's id: set once by the first middleware (so even requests refused by the body parser
 * have one), honouring a well-formed X-Request-Id and echoing it in the response.
 */
export function assignRequestId(
  req: IncomingMessage & { id?: unknown },
  res: ServerResponse,
): string {
  if (typeof req.id === 'string') return req.id;
  const given = req.headers['x-request-id'];
  const id = typeof given === 'string' && /^[\w.-]{1,64}$/.test(given) ? given : randomUUID();
  req.id = id;
  res.setHeader('X-Request-Id', id);
  return id;
}

/**
 * The level of a request's "request completed" line. In production a successful request logs at
 * debug, so the default level writes no line per request (the cost of a busy route); refusals
 * (4xx) stay at info and failures (5xx) at error everywhere.
 */
export function requestLogLevel(
  statusCode: number,
  error: unknown,
  production = process.env.NODE_ENV === 'production',
): 'debug' | 'info' | 'error' {
  if (error || statusCode >= 500) return 'error';
  return statusCode >= 400 || !production ? 'info' : 'debug';
}

/** Structured JSON logs (pino) with a request id per request (X-Request-Id is honoured and echoed). */
export const DemoLoggingModule = LoggerModule.forRoot({
  pinoHttp: {
    level: process.env.LOG_LEVEL || 'info',
    customLogLevel: (_req, res, error) => requestLogLevel(res.statusCode, error),
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    genReqId: assignRequestId,
    // The serializers below read the raw objects: pino-http's wrappers would first build a full
    // copy of every request (headers included) only for these three fields to be kept.
    wrapSerializers: false,
    // Query strings could carry anything; log the path only.
    serializers: {
      req: (req: {
        id: string;
        method: string;
        originalUrl?: string;
        url?: string;
        path?: string;
      }) => {
        // A request, or an object already shaped like this one (the "refused before routing" line).
        const url = req.originalUrl ?? req.url;
        return {
          id: req.id,
          method: req.method,
          path: url === undefined ? req.path : url.split('?')[0],
        };
      },
      res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
      err: stdSerializers.err,
    },
  },
});
