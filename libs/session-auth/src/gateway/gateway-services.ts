import { Inject, Injectable } from '@nestjs/common';
import { SessionStateService } from '../cache/session-state.service.js';
import { SessionMetrics } from '../metrics/session-metrics.js';
import { RevocationPropagator } from '../revocation/revocation-propagator.js';
import { SessionService } from '../sessions/session.service.js';

/**
 * What the gateway uses of the session module, in one provider of that module: the gateway's own
 * module (loaded only with `gateway: true`) is imported by the session module, so it cannot inject
 * the session module's providers and takes this one with a single look-up.
 */
@Injectable()
export class GatewayServices {
  constructor(
    readonly sessions: SessionService,
    readonly state: SessionStateService,
    readonly metrics: SessionMetrics,
    @Inject(RevocationPropagator) readonly propagator: RevocationPropagator,
  ) {}
}
