import type { HeldLock } from './cleanup-lock.js';

/** Thrown by LockFence.check when the run no longer holds its lock. */
export class LockLost extends Error {
  constructor(readonly batch: number) {
    super(`cleanup lock lost before batch ${batch}`);
  }
}

/** Fencing: before each batch, the run checks that it still holds the lock, and stops if not. */
export class LockFence {
  private batches = 0;

  constructor(private readonly held: HeldLock) {}

  async check(): Promise<void> {
    this.batches++;
    if (!(await this.held.stillHeld())) throw new LockLost(this.batches);
  }
}
