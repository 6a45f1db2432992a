import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { LoggerModule } from 'nestjs-pino';

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

/** Structured JSON logs (pino) with a request id per request (X-Request-Id is honoured and echoed). */
export const DemoLoggingModule = LoggerModule.forRoot({
  pinoHttp: {
    level: process.env.LOG_LEVEL || 'info',
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    genReqId: assignRequestId,
    // Query strings could carry anything; log the path only.
    serializers: {
      req: (req: { id: string; method: string; url: string }) => ({
        id: req.id,
        method: req.method,
        path: req.url.split('?')[0],
      }),
      res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
    },
  },
});
