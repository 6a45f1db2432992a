import { type INestApplication, Logger, ValidationPipe } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { SessionAuthError } from 'nestjs-session-auth';
import type { ValidationError } from 'class-validator';
import express, { type NextFunction, type Request, type Response } from 'express';
import { DemoExceptionFilter, demoErrorBody } from './errors/demo-errors.js';
import { ShutdownState } from './lifecycle/shutdown-state.js';
import { precomputedHelmet } from './security-headers.js';
import { assignRequestId, logRequestWhenDone } from './logging/logging.module.js';

/** JSON bodies above this are refused with 413 PAYLOAD_TOO_LARGE before any work is done. */
export const BODY_LIMIT = '100kb';

/** Deepest nesting a request body may have (the DTOs are flat). */
export const MAX_BODY_DEPTH = 8;

/** Iterative, so the check itself cannot overflow the stack. */
function depthExceeds(value: unknown, max: number): boolean {
  const stack: [unknown, number][] = [[value, 1]];
  while (stack.length > 0) {
    const [item, depth] = stack.pop()!;
    if (item === null || typeof item !== 'object') continue;
    if (depth > max) return true;
    for (const child of Object.values(item)) stack.push([child, depth + 1]);
  }
  return false;
}

/** Why a parsed body cannot be a request here, if it cannot. */
function bodyShapeError(body: unknown): SessionAuthError | undefined {
  if (body === undefined) return undefined;
  // A JSON array or scalar is never a valid request body here.
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    return new SessionAuthError('VALIDATION_FAILED', 'the request body must be a JSON object');
  // Deep nesting would overflow the stack of the validator (a 500); no body here nests at all.
  if (depthExceeds(body, MAX_BODY_DEPTH))
    return new SessionAuthError(
      'VALIDATION_FAILED',
      `the request body nests deeper than ${MAX_BODY_DEPTH} levels`,
    );
  return undefined;
}

function validationMessage(errors: ValidationError[]): string {
  return errors
    .flatMap((error) =>
      Object.values(error.constraints ?? { [error.property]: `${error.property} is not valid` }),
    )
    .join('; ');
}

/** Everything between the socket and the controllers: headers, body parsing, validation, error shape. */
export function configureHttp(
  app: NestExpressApplication,
  trustProxy: string | false,
): INestApplication {
  // Only a proxy we run may say who the client is: otherwise anyone could pick their IP (and
  // with it their rate-limit bucket) through X-Forwarded-For. docker-compose sets TRUST_PROXY.
  app.set('trust proxy', trustProxy);
  // JSON API answers are not cached by validators: no ETag (Express hashes every body for one).
  app.set('etag', false);
  // No upgrade-insecure-requests: on plain http (a LAN address in development) it would break every
  // request; where TLS terminates in front of the app, the proxy owns that policy.
  const securityHeaders = precomputedHelmet({
    contentSecurityPolicy: { directives: { upgradeInsecureRequests: null } },
  });
  const shutdown = app.get(ShutdownState);
  // One middleware for every per-request header: each Express layer costs on every request.
  // The request line is armed here, first, so requests the body parser refuses are logged too.
  app.use((req: Request, res: Response, next: NextFunction) => {
    logRequestWhenDone(req, res, assignRequestId(req, res));
    securityHeaders(res);
    if (shutdown.draining) res.setHeader('Connection', 'close');
    next();
  });
  // The body's shape is checked as soon as it is parsed, in the same layer.
  const json = express.json({ limit: BODY_LIMIT });
  app.use((req: Request, res: Response, next: NextFunction) =>
    json(req, res, (error?: unknown) => next(error ?? bodyShapeError(req.body))),
  );
  // Errors of the middleware above (malformed JSON, too large) get the same JSON shape as the rest
  // (and their request line, like every request's, from the first middleware).
  const logger = new Logger('Http');
  app.use((error: unknown, _req: Request, res: Response, _next: NextFunction) => {
    const body = demoErrorBody(error, logger);
    if (body.statusCode >= 500) res.err = error as Error;
    res.status(body.statusCode).json(body);
  });
  app.useGlobalFilters(new DemoExceptionFilter());
  app.useGlobalPipes(
    new ValidationPipe({
      whitelist: true,
      forbidNonWhitelisted: true,
      forbidUnknownValues: true,
      exceptionFactory: (errors) =>
        new SessionAuthError('VALIDATION_FAILED', validationMessage(errors)),
    }),
  );
  return app;
}
