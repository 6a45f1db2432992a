import { type INestApplication, ValidationPipe } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { SessionAuthError, SessionAuthExceptionFilter, toErrorBody } from '#session-auth';
import type { ValidationError } from 'class-validator';
import express, { type NextFunction, type Request, type Response } from 'express';
import helmet from 'helmet';
import { ShutdownState } from './lifecycle/shutdown-state.js';

/** JSON bodies above this are refused with 413 PAYLOAD_TOO_LARGE before any work is done. */
export const BODY_LIMIT = '100kb';

function validationMessage(errors: ValidationError[]): string {
  return errors
    .flatMap((error) => Object.values(error.constraints ?? { [error.property]: `${error.property} is not valid` }))
    .join('; ');
}

/** Everything between the socket and the controllers: headers, body parsing, validation, error shape. */
export function configureHttp(app: NestExpressApplication): INestApplication {
  // Behind the load balancer of docker-compose the client address is in X-Forwarded-For.
  app.set('trust proxy', 'loopback, linklocal, uniquelocal');
  // No upgrade-insecure-requests: on plain http (a LAN address in development) it would break every
  // request; where TLS terminates in front of the app, the proxy owns that policy.
  app.use(helmet({ contentSecurityPolicy: { directives: { upgradeInsecureRequests: null } } }));
  const shutdown = app.get(ShutdownState);
  app.use((_req: Request, res: Response, next: NextFunction) => {
    if (shutdown.draining) res.setHeader('Connection', 'close');
    next();
  });
  app.use(express.json({ limit: BODY_LIMIT }));
  app.use((req: Request, res: Response, next: NextFunction) => {
    // A JSON array or scalar is never a valid request body here.
    if (req.body !== undefined && (typeof req.body !== 'object' || req.body === null || Array.isArray(req.body))) {
      next(new SessionAuthError('VALIDATION_FAILED', 'the request body must be a JSON object'));
      return;
    }
    next();
  });
  // Errors of the middleware above (malformed JSON, too large) get the same JSON shape as the rest.
  app.use((error: unknown, _req: Request, res: Response, _next: NextFunction) => {
    const body = toErrorBody(error);
    res.status(body.statusCode).json(body);
  });
  app.useGlobalFilters(new SessionAuthExceptionFilter());
  app.useGlobalPipes(
    new ValidationPipe({
      whitelist: true,
      forbidNonWhitelisted: true,
      forbidUnknownValues: true,
      exceptionFactory: (errors) => new SessionAuthError('VALIDATION_FAILED', validationMessage(errors)),
    }),
  );
  return app;
}
