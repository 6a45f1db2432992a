import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import bcrypt from 'bcrypt';
import { ConcurrencyLimit } from './concurrency-limit.js';
import { SessionAuthError } from '../errors/session-auth.error.js';
import { SESSION_AUTH_RESOLVED_OPTIONS } from '../session-auth.internal-tokens.js';
import type { ResolvedSessionAuthOptions } from '../session-auth.options.js';

/** bcrypt reads only the first 72 bytes; longer input is refused rather than silently truncated. */
export const MAX_PASSWORD_BYTES = 72;

/** Hashes and checks passwords with bcrypt; unknown users still cost one compare. */
@Injectable()
export class PasswordService implements OnModuleInit {
  private dummyHash?: Promise<string>;
  /**
   * bcrypt runs on libuv's pool (4 threads by default): on a 2-core machine four hashes at once
   * would starve the event loop, and with it every other route. At most one per core, by default.
   */
  private readonly limit: ConcurrencyLimit;

  constructor(
    @Inject(SESSION_AUTH_RESOLVED_OPTIONS) private readonly options: ResolvedSessionAuthOptions,
  ) {
    this.limit = new ConcurrencyLimit(options.passwordConcurrency);
  }

  /** Made at start-up, so the first unknown-email login costs one compare like every other. */
  onModuleInit(): void {
    void this.getDummyHash();
  }

  /** Hashes at the configured cost (default 12). Throws VALIDATION_FAILED over 72 bytes. */
  async hash(plain: string): Promise<string> {
    assertPasswordLength(plain);
    return this.limit.run(() => bcrypt.hash(plain, this.options.bcryptRounds));
  }

  /**
   * Compares in constant time (bcrypt). With no hash (unknown email) it still spends one compare
   * against a dummy hash of the same cost, so timing does not reveal which emails exist.
   */
  async verify(plain: string, hash: string | null | undefined): Promise<boolean> {
    assertPasswordLength(plain);
    if (!hash) {
      const dummy = await this.getDummyHash();
      await this.limit.run(() => bcrypt.compare(plain, dummy));
      return false;
    }
    return this.limit.run(() => bcrypt.compare(plain, hash));
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
