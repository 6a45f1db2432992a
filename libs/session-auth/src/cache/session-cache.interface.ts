/**
 * The cache port: fast paths only, never the only copy of anything. Methods never throw: a result of
 * `undefined` means "the cache could not answer", and the caller falls back to PostgreSQL.
 */
export interface SessionCache {
  /** `'redis'` or `'memory'`, for logs and health. */
  readonly kind: 'redis' | 'memory';
  /** Whether the backing store answered its last command. */
  isAvailable(): boolean;
  /** The value, `null` if absent, `undefined` if the store could not answer. */
  get(key: string): Promise<string | null | undefined>;
  /** SET PX: `true` once stored. */
  set(key: string, value: string, ttlMs: number): Promise<boolean>;
  /** SET NX PX: `true` if this call set the key, `false` if it existed, `undefined` if unavailable. */
  setIfAbsent(key: string, value: string, ttlMs: number): Promise<boolean | undefined>;
  /** Deletes keys; deletions that could not reach the store are replayed once it returns. */
  delete(...keys: string[]): Promise<void>;
  /** Deletes `key` only while it still holds `value` (lock release). */
  compareAndDelete(key: string, value: string): Promise<boolean | undefined>;
  /** Sets a new TTL on `key` only while it still holds `value` (lock extension). */
  compareAndExpire(key: string, value: string, ttlMs: number): Promise<boolean | undefined>;
  /** Round trip to the store; `false` when it does not answer. */
  ping(): Promise<boolean>;
  /**
   * The value from this process's own copy, only where that copy may be trusted now; `undefined`
   * means "ask {@link get}". Never a round trip, so the guard can decide without waiting.
   */
  peek?(key: string): string | undefined;
  /** Forgets any in-process copies of shared entries (after a gap in invalidation messages). */
  dropAllLocalCopies?(): void;
  /**
   * Whether this process's copies of shared entries may answer: `false` while the feed that
   * invalidates them is not live (they may have missed a change), and reads of shared entries then
   * answer `undefined` (ask PostgreSQL). Adapters with a feed of their own (Redis) ignore it.
   */
  trustLocalCopies?(trusted: boolean): void;
  /**
   * Forgets the in-process copy of one shared entry and keeps none (reads answer `undefined`)
   * until the returned function is called: a change is announced but not yet confirmed.
   */
  holdLocalCopy?(key: string): () => void;
  /** Forgets the in-process copy of one shared entry (another instance changed it in the store). */
  dropLocalCopy?(key: string): void;
  /**
   * Registers what must be reconciled against PostgreSQL before a shared store answers reads again
   * after a gap (its first connection, an outage); until it has run, reads answer `undefined`.
   */
  reconcileWith?(reconcile: () => Promise<void>): void;
}

/** Injection token of the SessionCache port. */
export const SessionCache = Symbol('SessionCache');
