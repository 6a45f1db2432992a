import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import bcrypt from 'bcrypt';
import { ConcurrencyLimit, QueueFullError } from './concurrency-limit.js';
import { SessionAuthError } from '../errors/session-auth.error.js';
import { SessionMetrics } from '../metrics/session-metrics.js';
import { SESSION_AUTH_RESOLVED_OPTIONS } from '../session-auth.internal-tokens.js';
import type { ResolvedSessionAuthOptions } from '../config/session-auth.options.js';

/** What a caller may pass along with a password job. */
export interface PasswordJobOptions {
  /** Aborts when the client has gone away: a job still waiting for a slot is dropped unrun. */
  signal?: AbortSignal;
}

/** bcrypt reads only the first 72 bytes; longer input is refused rather than silently truncated. */
export const MAX_PASSWORD_BYTES = 72;

/** Hashes and checks passwords with bcrypt; unknown users still cost one compare. */
@Injectable()
export class PasswordService implements OnModuleInit {
  private dummyHash?: Promise<string>;
  /**
   * bcrypt runs on libuv's pool (4 threads by default): on a 2-core machine four hashes at once
   * would starve the event loop, and with it every other route. At most one per core, by default.
   * The queue behind them is bounded too (`passwordQueueLimit`): beyond it a sign-in storm gets a
   * quick 503 instead of piling up memory and waits that outlast every client's patience.
   */
  private readonly limit: ConcurrencyLimit;

  constructor(
    @Inject(SESSION_AUTH_RESOLVED_OPTIONS) private readonly options: ResolvedSessionAuthOptions,
    private readonly metrics: SessionMetrics,
  ) {
    this.limit = new ConcurrencyLimit(
      options.passwordConcurrency,
      options.passwordQueueLimit,
      (queued) => metrics.passwordQueue.set(queued),
    );
  }

  /** Made at start-up, so the first unknown-email login costs one compare like every other. */
  onModuleInit(): void {
    void this.getDummyHash();
  }

  /**
   * Hashes at the configured cost (default 12). Throws VALIDATION_FAILED over 72 bytes, SERVER_BUSY
   * (503, with a retry delay) when the queue is full.
   */
  async hash(plain: string, job: PasswordJobOptions = {}): Promise<string> {
    assertPasswordLength(plain);
    return this.run(() => bcrypt.hash(plain, this.options.bcryptRounds), job);
  }

  /**
   * Compares in constant time (bcrypt). With no hash (unknown email) it still spends one compare
   * against a dummy hash of the same cost, so timing does not reveal which emails exist.
   */
  async verify(
    plain: string,
    hash: string | null | undefined,
    job: PasswordJobOptions = {},
  ): Promise<boolean> {
    assertPasswordLength(plain);
    if (!hash) {
      const dummy = await this.getDummyHash();
      await this.run(() => bcrypt.compare(plain, dummy), job);
      return false;
    }
    return this.run(() => bcrypt.compare(plain, hash), job);
  }

  /** One job through the limit: counted by outcome, refusals and abandons as typed errors. */
  private async run<T>(task: () => Promise<T>, { signal }: PasswordJobOptions): Promise<T> {
    try {
      const result = await this.limit.run(task, signal);
      this.metrics.passwordJobs.inc({ outcome: 'completed' });
      return result;
    } catch (error) {
      if (error instanceof QueueFullError) {
        this.metrics.passwordJobs.inc({ outcome: 'refused' });
        throw new SessionAuthError('SERVER_BUSY', undefined, {
          retryAfterSeconds: error.drainEstimateMs / 1000,
        });
      }
      if (signal?.aborted && error === signal.reason) {
        this.metrics.passwordJobs.inc({ outcome: 'abandoned' });
        throw new SessionAuthError('CLIENT_CLOSED_REQUEST');
      }
      throw error;
    }
  }

  private getDummyHash(): Promise<string> {
    this.dummyHash ??= bcrypt.hash('session-auth dummy password', this.options.bcryptRounds);
    return this.dummyHash;
  }
}

/** Throws VALIDATION_FAILED when a password is not a string of 1 to 72 bytes. */
export function assertPasswordLength(plain: unknown): asserts plain is string {
  if (typeof plain !== 'string' || plain.length === 0) {
    throw new SessionAuthError('VALIDATION_FAILED', 'password must be a non-empty string');
  }
  if (Buffer.byteLength(plain, 'utf8') > MAX_PASSWORD_BYTES) {
    throw new SessionAuthError(
      'VALIDATION_FAILED',
      `password must be at most ${MAX_PASSWORD_BYTES} bytes`,
    );
  }
}
