import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { type BeforeApplicationShutdown, Inject, Injectable, Logger } from '@nestjs/common';
import { SESSION_AUTH_RESOLVED_OPTIONS } from '../session-auth.internal-tokens.js';
import type { ResolvedSessionAuthOptions } from '../config/session-auth.options.js';
import { SessionMetrics } from '../metrics/session-metrics.js';
import { SessionNotifier } from '../events/session-notifier.js';
import { CleanupRepository } from '../persistence/cleanup.repository.js';
import { CleanupLock } from './cleanup-lock.js';
import { LockFence, LockLost } from './lock-fence.js';

/** What one cleanup call did; `ran: false` when another instance held the lock, or the run lost it and stopped. */
export interface CleanupResult {
  ran: boolean;
  /** Which instance ran it (host, pid and a random suffix). */
  instance: string;
  /** How mutual exclusion was held: Redis lock, or PostgreSQL advisory lock while Redis is down. */
  lock: 'redis' | 'postgres' | null;
  ended: number;
  deleted: number;
  startedAt: number;
  durationMs: number;
}

/** Rows per statement: small enough that no statement holds many row locks for long. */
const BATCH = 2000;

/** Ends expired sessions and deletes old rows, batch by batch, on one instance at a time. */
@Injectable()
export class CleanupService implements BeforeApplicationShutdown {
  private readonly logger = new Logger('SessionAuthCleanup');
  readonly instance = `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
  private running?: Promise<CleanupResult>;

  constructor(
    @Inject(SESSION_AUTH_RESOLVED_OPTIONS) private readonly options: ResolvedSessionAuthOptions,
    private readonly repository: CleanupRepository,
    private readonly notifier: SessionNotifier,
    private readonly lock: CleanupLock,
    private readonly metrics: SessionMetrics,
  ) {}

  /** On shutdown, let a running cleanup finish (up to 10 s) so it releases its lock itself. */
  async beforeApplicationShutdown(): Promise<void> {
    if (!this.running) return;
    const limit = new Promise((resolve) => setTimeout(resolve, 10_000).unref());
    await Promise.race([this.running.catch(() => undefined), limit]);
  }

  /** Runs the cleanup unless it is already running here or on another instance. */
  run(): Promise<CleanupResult> {
    this.running ??= this.runExclusive().finally(() => (this.running = undefined));
    return this.running;
  }

  private async runExclusive(): Promise<CleanupResult> {
    const held = await this.lock.tryAcquire(this.options.cleanupLockTtl * 1000);
    // Timed from the moment the lock is held, so runs' [started, finished] never overlap.
    const startedAt = Date.now();
    if (!held) {
      this.metrics.cleanupRuns.inc({ outcome: 'skipped' });
      return {
        ran: false,
        instance: this.instance,
        lock: null,
        ended: 0,
        deleted: 0,
        startedAt,
        durationMs: 0,
      };
    }
    const fence = new LockFence(held);
    try {
      const ended = await this.endExpiredSessions(fence);
      const deleted = await this.deleteEndedSessions(fence);
      const result: CleanupResult = {
        ran: true,
        instance: this.instance,
        lock: held.via,
        ended,
        deleted,
        startedAt,
        durationMs: Date.now() - startedAt,
      };
      this.metrics.cleanupRuns.inc({ outcome: 'ran' });
      this.metrics.cleanupRows.inc({ action: 'ended' }, ended);
      this.metrics.cleanupRows.inc({ action: 'deleted' }, deleted);
      this.metrics.cleanupDuration.observe({}, result.durationMs / 1000);
      // One line per run; start and finish let an operator (and the tests) see that runs never overlap.
      this.logger.log(
        `cleanup run instance=${result.instance} lock=${result.lock} ended=${ended} deleted=${deleted} ` +
          `duration=${result.durationMs}ms started=${startedAt} finished=${startedAt + result.durationMs}`,
      );
      return result;
    } catch (error) {
      if (!(error instanceof LockLost)) throw error;
      this.metrics.cleanupRuns.inc({ outcome: 'lock_lost' });
      this.logger.warn(
        `cleanup lock lost before batch ${error.batch}; run stopped (instance=${this.instance}), ` +
          `another instance may hold the lock now`,
      );
      return {
        ran: false,
        instance: this.instance,
        lock: held.via,
        ended: 0,
        deleted: 0,
        startedAt,
        durationMs: Date.now() - startedAt,
      };
    } finally {
      await held.release();
    }
  }

  private async endExpiredSessions(fence: LockFence): Promise<number> {
    let total = 0;
    for (;;) {
      await fence.check();
      const revoked = await this.repository.endExpired(BATCH);
      await this.notifier.propagateAndEmit(revoked, 'EXPIRED');
      total += revoked.length;
      if (revoked.length < BATCH) return total;
    }
  }

  private deleteEndedSessions(fence: LockFence): Promise<number> {
    const retention = Math.round(this.options.cleanupRetention);
    return this.inBatches(fence, () => this.repository.deleteEndedSessions(retention, BATCH));
  }

  /** Runs a batch statement until a batch comes back short, checking the lock before each. */
  private async inBatches(fence: LockFence, batch: () => Promise<number>): Promise<number> {
    let total = 0;
    for (;;) {
      await fence.check();
      const affected = await batch();
      total += affected;
      if (affected < BATCH) return total;
    }
  }
}
