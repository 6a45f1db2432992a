import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { LoggerModule, PinoLogger } from 'nestjs-pino';
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

/** What the request line needs of a request and its response (Express's `originalUrl` if any). */
type LoggedRequest = IncomingMessage & { id?: unknown; originalUrl?: string };
type LoggedResponse = ServerResponse & { err?: unknown };

/**
 * The request's log line ("request completed", or "request errored" with the error a filter left
 * in `res.err`), written when the response is done, at {@link requestLogLevel}, by the root pino
 * logger. One `close` listener per request and nothing else: at the deployed level a successful
 * request's line is at debug, so the request costs a level check. pino-http did the same with a
 * child logger per request (its bindings serialized and redacted up front), three listeners, and
 * nestjs-pino's `AsyncLocalStorage.run` around the rest of the request.
 */
export function logRequestWhenDone(req: LoggedRequest, res: LoggedResponse, id: string): void {
  const started = performance.now();
  res.once('close', () => {
    const error = res.err;
    const level = requestLogLevel(res.statusCode, error);
    const logger = PinoLogger.root;
    if (!logger?.isLevelEnabled(level)) return;
    const url = req.originalUrl ?? req.url ?? '';
    const line: Record<string, unknown> = {
      req: { id, method: req.method, path: url.split('?')[0] },
      res: { statusCode: res.statusCode },
      responseTime: Math.round(performance.now() - started),
    };
    if (error) line.err = error;
    logger[level](line, level === 'error' ? 'request errored' : 'request completed');
  });
}

/**
 * Structured JSON logs (pino). The request logging itself is {@link logRequestWhenDone}, called by
 * the demo's first middleware (http-setup.ts): nestjs-pino mounts no middleware (`forRoutes: []`),
 * so Nest's and the app's log lines go through the same pino logger, without request bindings.
 */
export const DemoLoggingModule = LoggerModule.forRoot({
  forRoutes: [],
  pinoHttp: {
    level: process.env.LOG_LEVEL || 'info',
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
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
        // A request, or an object already shaped like this one (the request line).
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
