import { resolveSessionAuthOptions } from '../config/resolve-options.js';
import { disabledMetrics } from '../test-fakes/disabled-metrics.js';
import {
  registerServiceInternals,
  type ServiceInternals,
  serviceInternalsOf,
} from './service-internals.js';

describe('service internals', () => {
  it('answers what was registered for that very service object', () => {
    const service = {};
    const internals = {
      options: resolveSessionAuthOptions({ jwtSecret: 'x'.repeat(32) }),
      metrics: disabledMetrics(),
    } as ServiceInternals;

    registerServiceInternals(service, internals);

    expect(serviceInternalsOf(service)).toBe(internals);
  });

  it('refuses an object that is not a registered SessionService (e.g. a hand-made stand-in)', () => {
    registerServiceInternals({}, {} as ServiceInternals);

    expect(() => serviceInternalsOf({})).toThrow('Not a SessionService of SessionAuthModule.');
  });
});
