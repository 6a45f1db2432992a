import type { Provider } from '@nestjs/common';
import { SessionCache } from '../cache/session-cache.interface.js';
import { SESSION_AUTH_RESOLVED_OPTIONS } from '../session-auth.internal-tokens.js';
import type {
  MetricsRegistryLike,
  ResolvedSessionAuthOptions,
} from '../config/session-auth.options.js';
import { importOptionalPeer, lazyModule } from '../utils/optional-peer.js';
import { bindOnce } from './bind-once.js';

/** The parts of prom-client used here (a type of its own, so the package's types never name it). */
interface PromClient {
  Counter: new (config: any) => any;
  Gauge: new (config: any) => any;
  Histogram: new (config: any) => any;
  register: MetricsRegistryLike;
}

type Labels<T extends string> = Partial<Record<T, string | number>>;

/** The subset of prom-client's metric API the library uses, so "metrics off" is a set of no-ops. */
interface CounterLike<T extends string> {
  inc(labels?: Labels<T>, value?: number): void;
  /** The child for one label value (metrics with one label), for calls on a hot path. */
  labels(...values: string[]): { inc(value?: number): void };
}
interface GaugeLike {
  set(value: number): void;
  inc(): void;
  dec(): void;
}
interface HistogramLike<T extends string> {
  observe(labels: Labels<T>, value: number): void;
  labels(...values: string[]): { observe(value: number): void };
}

/** The guard's decision counter and duration histogram for one result. */
export interface GuardResultMetrics {
  decisions: { inc(): void };
  duration: { observe(seconds: number): void };
}

const noop = { inc() {}, dec() {}, set() {}, observe() {}, labels: () => noop };

/**
 * Prometheus metrics of sessions, the guard, the cache, the cleanup and the gateway, registered on
 * prom-client's default registry (or `metrics.registry`). With `metrics: false` (the default) every
 * call is a no-op and prom-client is never loaded.
 */
export class SessionMetrics {
  readonly sessionsCreated: CounterLike<never>;
  readonly rotations: CounterLike<never>;
  readonly graceRetries: CounterLike<never>;
  readonly reuseDetections: CounterLike<never>;
  readonly terminations: CounterLike<'reason'>;
  readonly guardDecisions: CounterLike<'result'>;
  readonly guardDuration: HistogramLike<'result'>;
  readonly cacheLookups: CounterLike<'result'>;
  readonly redisDegraded: GaugeLike;
  readonly cleanupRuns: CounterLike<'outcome'>;
  readonly cleanupRows: CounterLike<'action'>;
  readonly cleanupDuration: HistogramLike<never>;
  readonly socketsConnected: GaugeLike;
  readonly passwordJobs: CounterLike<'outcome'>;
  readonly passwordQueue: GaugeLike;
  /** The guard's metrics for one result, bound once per result (no labels object per request). */
  readonly guardResult: (result: string) => GuardResultMetrics;
  /** The cache look-up counter for one result, bound once. */
  readonly cacheLookup: (result: 'hit' | 'miss' | 'error') => { inc(): void };
  readonly revocationsUnconfirmed: CounterLike<'transport'>;

  /** Loads prom-client only when metrics are on. */
  static async create(
    options: ResolvedSessionAuthOptions,
    cache: SessionCache,
  ): Promise<SessionMetrics> {
    if (options.metrics === false) return new SessionMetrics(options, cache);
    const prom = await importOptionalPeer(
      'prom-client',
      'the metrics option',
      lazyModule(
        () => require('prom-client'),
        () => import('prom-client'),
      ),
    );
    return new SessionMetrics(options, cache, prom);
  }

  constructor(options: ResolvedSessionAuthOptions, cache: SessionCache, prom?: PromClient) {
    const registry =
      options.metrics === false || !prom ? undefined : (options.metrics.registry ?? prom.register);
    const { Counter, Gauge, Histogram } = prom ?? ({} as Partial<PromClient>);
    const counter = <T extends string>(
      name: string,
      help: string,
      labelNames: T[] = [],
    ): CounterLike<T> =>
      registry
        ? reuse(
            registry,
            name,
            () => new Counter!({ name, help, labelNames, registers: [registry] }),
          )
        : noop;
    const gauge = (name: string, help: string, collect?: (this: GaugeLike) => void): GaugeLike =>
      registry
        ? reuse(registry, name, () => new Gauge!({ name, help, collect, registers: [registry] }))
        : noop;
    const histogram = <T extends string>(
      name: string,
      help: string,
      buckets: number[],
      labelNames: T[] = [],
    ) =>
      registry
        ? reuse(
            registry,
            name,
            () => new Histogram!({ name, help, buckets, labelNames, registers: [registry] }),
          )
        : (noop as HistogramLike<T>);

    this.sessionsCreated = counter('session_auth_sessions_created_total', 'Sessions started');
    this.rotations = counter('session_auth_refresh_rotations_total', 'Refresh tokens rotated');
    this.graceRetries = counter(
      'session_auth_refresh_grace_retries_total',
      'Spent refresh tokens retried within the grace window',
    );
    this.reuseDetections = counter(
      'session_auth_refresh_reuse_detected_total',
      'Spent refresh tokens presented after the grace window',
    );
    this.terminations = counter(
      'session_auth_sessions_terminated_total',
      'Sessions ended, by reason',
      ['reason'],
    );
    this.guardDecisions = counter(
      'session_auth_guard_decisions_total',
      'Guard decisions, by result (allowed or an error code)',
      ['result'],
    );
    this.guardDuration = histogram(
      'session_auth_guard_duration_seconds',
      'Time the guard takes to decide',
      [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5],
      ['result'],
    );
    this.cacheLookups = counter(
      'session_auth_cache_lookups_total',
      'Session state lookups: hit, miss or error',
      ['result'],
    );
    this.redisDegraded = gauge(
      'session_auth_redis_degraded',
      '1 while Redis is unavailable and PostgreSQL serves alone',
      function () {
        this.set(cache.kind === 'redis' && !cache.isAvailable() ? 1 : 0);
      },
    );
    this.cleanupRuns = counter(
      'session_auth_cleanup_runs_total',
      'Cleanup ticks: ran, skipped (lock held elsewhere), lock_lost (stopped mid-run) or failed',
      ['outcome'],
    );
    this.cleanupRows = counter(
      'session_auth_cleanup_rows_total',
      'Rows the cleanup ended or deleted',
      ['action'],
    );
    this.cleanupDuration = histogram(
      'session_auth_cleanup_duration_seconds',
      'Duration of cleanup runs',
      [0.01, 0.1, 1, 5, 15, 60, 300],
    );
    this.socketsConnected = gauge(
      'session_auth_sockets_connected',
      'Sockets connected to this instance',
    );
    this.passwordJobs = counter(
      'session_auth_password_jobs_total',
      'bcrypt hashes and compares: completed, refused (queue full) or abandoned (client gone while queued)',
      ['outcome'],
    );
    this.passwordQueue = gauge(
      'session_auth_password_jobs_queued',
      'bcrypt jobs waiting for a slot (at most passwordQueueLimit)',
    );
    this.guardResult = bindOnce((result) => ({
      decisions: this.guardDecisions.labels(result),
      duration: this.guardDuration.labels(result),
    }));
    this.cacheLookup = bindOnce((result) => this.cacheLookups.labels(result));
    this.revocationsUnconfirmed = counter(
      'session_auth_revocation_unconfirmed_total',
      'Revocations answered before every live instance confirmed them (bounded wait over, or no way to ask), by transport',
      ['transport'],
    );
  }
}

/** Two module instances in one process share the metric rather than fail on a duplicate name. */
function reuse<M>(registry: MetricsRegistryLike, name: string, create: () => M): M {
  return (registry.getSingleMetric(name) as M | undefined) ?? create();
}

export const sessionMetricsProvider: Provider = {
  provide: SessionMetrics,
  inject: [SESSION_AUTH_RESOLVED_OPTIONS, SessionCache],
  useFactory: (options: ResolvedSessionAuthOptions, cache: SessionCache) =>
    SessionMetrics.create(options, cache),
};
