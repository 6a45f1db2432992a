import { Registry } from 'prom-client';
import { MemorySessionCache } from '../cache/memory-session-cache.js';
import type { SessionCache } from '../cache/session-cache.interface.js';
import { resolveSessionAuthOptions } from '../config/resolve-options.js';
import type { SessionAuthOptions } from '../config/session-auth.options.js';
import { SessionMetrics } from './session-metrics.js';

function options(metrics: SessionAuthOptions['metrics']) {
  return resolveSessionAuthOptions({
    jwtSecret: 'metrics-spec-secret-that-is-long-enough',
    metrics,
  });
}

/** The value of `name` with `labels` on `registry` (0 when it has none yet). */
async function valueOf(
  registry: Registry,
  name: string,
  labels: Record<string, string> = {},
): Promise<number> {
  const metric = registry.getSingleMetric(name);
  if (!metric) throw new Error(`${name} is not registered`);
  const { values } = await metric.get();
  const match = values.find((v) =>
    Object.entries(labels).every(([k, value]) => v.labels[k] === value),
  );
  return match?.value ?? 0;
}

describe('SessionMetrics', () => {
  it('registers nothing and answers every call with a no-op when metrics are off', async () => {
    const defaultRegistry = (await import('prom-client')).register;
    const before = defaultRegistry.getMetricsAsArray().length;

    const metrics = await SessionMetrics.create(options(false), new MemorySessionCache());

    expect(() => {
      metrics.rotations.inc();
      metrics.terminations.inc({ reason: 'LOGOUT' }, 3);
      metrics.socketsConnected.dec();
      metrics.guardResult('allowed').duration.observe(0.001);
      metrics.cacheLookup('hit').inc();
    }).not.toThrow();
    expect(defaultRegistry.getMetricsAsArray()).toHaveLength(before);
  });

  it('registers every metric on the registry given, and nothing on the default one', async () => {
    const registry = new Registry();
    const defaultRegistry = (await import('prom-client')).register;
    const before = defaultRegistry.getMetricsAsArray().length;

    await SessionMetrics.create(options({ registry }), new MemorySessionCache());

    expect(
      registry
        .getMetricsAsArray()
        .map((m) => (m as unknown as { name: string }).name)
        .sort(),
    ).toEqual([
      'session_auth_cache_lookups_total',
      'session_auth_cleanup_duration_seconds',
      'session_auth_cleanup_rows_total',
      'session_auth_cleanup_runs_total',
      'session_auth_guard_decisions_total',
      'session_auth_guard_duration_seconds',
      'session_auth_password_jobs_queued',
      'session_auth_password_jobs_total',
      'session_auth_redis_degraded',
      'session_auth_refresh_grace_retries_total',
      'session_auth_refresh_reuse_detected_total',
      'session_auth_refresh_rotations_total',
      'session_auth_revocation_unconfirmed_total',
      'session_auth_sessions_created_total',
      'session_auth_sessions_terminated_total',
      'session_auth_sockets_connected',
    ]);
    expect(defaultRegistry.getMetricsAsArray()).toHaveLength(before);
  });

  it('counts terminations by reason', async () => {
    const registry = new Registry();
    const metrics = await SessionMetrics.create(options({ registry }), new MemorySessionCache());

    metrics.terminations.inc({ reason: 'LOGOUT' }, 2);
    metrics.terminations.inc({ reason: 'REUSE_DETECTED' });

    const name = 'session_auth_sessions_terminated_total';
    expect(await valueOf(registry, name, { reason: 'LOGOUT' })).toBe(2);
    expect(await valueOf(registry, name, { reason: 'REUSE_DETECTED' })).toBe(1);
  });

  it("binds the guard's counter and histogram once per result, and records under that result", async () => {
    const registry = new Registry();
    const metrics = await SessionMetrics.create(options({ registry }), new MemorySessionCache());

    const allowed = metrics.guardResult('allowed');
    allowed.decisions.inc();
    allowed.duration.observe(0.0003);
    metrics.guardResult('SESSION_REVOKED').decisions.inc();

    expect(metrics.guardResult('allowed')).toBe(allowed);
    const decisions = 'session_auth_guard_decisions_total';
    expect(await valueOf(registry, decisions, { result: 'allowed' })).toBe(1);
    expect(await valueOf(registry, decisions, { result: 'SESSION_REVOKED' })).toBe(1);
    const { values } = await registry.getSingleMetric('session_auth_guard_duration_seconds')!.get();
    expect(
      values.find(
        (v) =>
          (v as { metricName?: string }).metricName?.endsWith('_count') &&
          v.labels.result === 'allowed',
      )?.value,
    ).toBe(1);
  });

  it('counts cache look-ups by result', async () => {
    const registry = new Registry();
    const metrics = await SessionMetrics.create(options({ registry }), new MemorySessionCache());

    metrics.cacheLookup('hit').inc();
    metrics.cacheLookup('hit').inc();
    metrics.cacheLookup('miss').inc();

    const name = 'session_auth_cache_lookups_total';
    expect(await valueOf(registry, name, { result: 'hit' })).toBe(2);
    expect(await valueOf(registry, name, { result: 'miss' })).toBe(1);
    expect(await valueOf(registry, name, { result: 'error' })).toBe(0);
  });

  it('reports Redis as degraded exactly while a Redis cache does not answer', async () => {
    const registry = new Registry();
    let available = true;
    const cache = { kind: 'redis', isAvailable: () => available } as unknown as SessionCache;
    await SessionMetrics.create(options({ registry }), cache);
    const degraded = () => valueOf(registry, 'session_auth_redis_degraded');

    const up = await degraded();
    available = false;
    const down = await degraded();

    expect([up, down]).toEqual([0, 1]);
  });

  it('never reports an in-process cache as degraded', async () => {
    const registry = new Registry();
    await SessionMetrics.create(options({ registry }), new MemorySessionCache());

    expect(await valueOf(registry, 'session_auth_redis_degraded')).toBe(0);
  });

  it('lets two module instances on one registry share each metric instead of failing', async () => {
    const registry = new Registry();
    const first = await SessionMetrics.create(options({ registry }), new MemorySessionCache());
    const second = await SessionMetrics.create(options({ registry }), new MemorySessionCache());

    first.rotations.inc();
    second.rotations.inc();

    expect(await valueOf(registry, 'session_auth_refresh_rotations_total')).toBe(2);
  });
});
