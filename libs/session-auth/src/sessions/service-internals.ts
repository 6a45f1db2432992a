import type { DbscResponses } from '../binding/dbsc-responses.js';
import type { DeviceProofService } from '../binding/device-proof.service.js';
import type { ResolvedSessionAuthOptions } from '../config/session-auth.options.js';
import type { SessionMetrics } from '../metrics/session-metrics.js';
import type { SessionVerifier } from './session-verifier.js';

/**
 * What `SessionAuthGuard` and `RefreshTokenTransport` use behind `SessionService`: the resolved
 * options, the access check, the metrics, the device proofs and DBSC's answers. Not exported from the package, so
 * those two public classes take only public types (`SessionService`, `Reflector`) and an adopter
 * can subclass them; they find these through the service they were given.
 */
export interface ServiceInternals {
  readonly options: ResolvedSessionAuthOptions;
  readonly verifier: SessionVerifier;
  readonly metrics: SessionMetrics;
  readonly proofs: DeviceProofService;
  readonly dbsc: DbscResponses;
}

const registered = new WeakMap<object, ServiceInternals>();

/** Called once by each SessionService instance, in its constructor. */
export function registerServiceInternals(service: object, internals: ServiceInternals): void {
  registered.set(service, internals);
}

/** The internals behind `service`; throws for an object that is not the module's SessionService. */
export function serviceInternalsOf(service: object): ServiceInternals {
  const internals = registered.get(service);
  if (!internals) throw new Error('Not a SessionService of SessionAuthModule.');
  return internals;
}
