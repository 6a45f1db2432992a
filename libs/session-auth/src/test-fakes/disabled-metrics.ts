import { MemorySessionCache } from '../cache/memory-session-cache.js';
import { SessionMetrics } from '../metrics/session-metrics.js';
import { resolveSessionAuthOptions } from '../config/resolve-options.js';

/** SessionMetrics with `metrics: false`: every call is a no-op and nothing is registered. */
export function disabledMetrics(): SessionMetrics {
  const options = resolveSessionAuthOptions({ jwtSecret: 'x'.repeat(32), metrics: false });
  return new SessionMetrics(options, new MemorySessionCache());
}
