import { resolveSessionAuthOptions } from '../config/resolve-options.js';
import { type ServiceInternals, registerServiceInternals } from '../sessions/service-internals.js';
import type { SessionService } from '../sessions/session.service.js';
import { disabledMetrics } from './disabled-metrics.js';

/**
 * A stand-in SessionService for specs of the classes that reach the internals through it (the
 * guard, the refresh-token transport): only `given` is real, the rest is left out or defaulted.
 */
export function sessionServiceOver(given: Partial<ServiceInternals>): SessionService {
  const sessions = {} as SessionService;
  registerServiceInternals(sessions, {
    options: resolveSessionAuthOptions({ jwtSecret: 'x'.repeat(32) }),
    metrics: disabledMetrics(),
    verifier: undefined as never,
    proofs: undefined as never,
    dbsc: undefined as never,
    ...given,
  });
  return sessions;
}
