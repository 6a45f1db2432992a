import type { ExecutionContext, Type } from '@nestjs/common';
import type { Reflector } from '@nestjs/core';
import { DEVICE_PROOF_KEY, FRESH_SESSION_KEY, IS_PUBLIC_KEY } from '../session-auth.constants.js';

type Handler = ReturnType<ExecutionContext['getHandler']>;

/** What the guard needs from a route's metadata (`@Public()`, `@RequireFreshSession()`). */
export interface GuardRouteOptions {
  isPublic: boolean;
  /** Seconds since the last password sign-in that the route accepts, if it asks. */
  freshSeconds: number | undefined;
  /** `@RequireDeviceProof()`: a proof of the session's device key goes along. */
  deviceProof: boolean;
}

/**
 * Resolves each handler's metadata once. Decorators write metadata when classes are defined, so it
 * is fixed by the time requests arrive; looking it up through the Reflector on every request was
 * two prototype-chain walks per metadata key. Keyed by class, then handler, because one inherited
 * handler can serve classes with different class-level metadata.
 */
export class GuardRouteOptionsCache {
  private readonly byClass = new WeakMap<Type, WeakMap<Handler, GuardRouteOptions>>();

  constructor(private readonly reflector: Reflector) {}

  of(context: ExecutionContext): GuardRouteOptions {
    const cls = context.getClass();
    const handler = context.getHandler();
    let handlers = this.byClass.get(cls);
    if (!handlers) {
      handlers = new WeakMap();
      this.byClass.set(cls, handlers);
    }
    let options = handlers.get(handler);
    if (!options) {
      options = this.resolve([handler, cls]);
      handlers.set(handler, options);
    }
    return options;
  }

  private resolve(targets: [Handler, Type]): GuardRouteOptions {
    return {
      isPublic: !!this.reflector.getAllAndOverride<boolean>(IS_PUBLIC_KEY, targets),
      freshSeconds: this.reflector.getAllAndOverride<number | undefined>(
        FRESH_SESSION_KEY,
        targets,
      ),
      deviceProof: !!this.reflector.getAllAndOverride<boolean>(DEVICE_PROOF_KEY, targets),
    };
  }
}
