import type { Logger } from '@nestjs/common';

/**
 * Deletions kept for replay while Redis is away. Past this many the rest are dropped: revocations
 * do not depend on them (the reconciler re-marks them from PostgreSQL), and a stale copy that a
 * lost delete leaves behind (say, an older idle expiry) errs on the side of refusing.
 */
const MAX_PENDING_DELETES = 10_000;

/** Cache deletes that could not reach Redis, replayed before it answers reads again. */
export class PendingDeletes {
  private readonly keys = new Set<string>();
  private dropped = false;

  constructor(private readonly logger: Logger) {}

  remember(key: string): void {
    if (this.keys.size < MAX_PENDING_DELETES) {
      this.keys.add(key);
    } else if (!this.dropped) {
      this.dropped = true;
      this.logger.warn(
        `over ${MAX_PENDING_DELETES} cache deletes pending; the rest are dropped (revocations are reconciled from PostgreSQL)`,
      );
    }
  }

  /** Hands every remembered key over (and forgets them). */
  take(): string[] {
    const keys = [...this.keys];
    this.keys.clear();
    this.dropped = false;
    return keys;
  }
}
