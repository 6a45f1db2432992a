/** Acknowledgements of one announced revocation, collected from the moment it is opened. */
export interface AckCollection {
  /**
   * Waits until every instance in `expected` has acknowledged, or until `timeoutMs` has passed.
   * Resolves with the instances that had not acknowledged by then (empty when all did). Acks that
   * arrived before this call count, so an answer faster than the announcement's own reply is kept.
   */
  wait(expected: Iterable<string>, timeoutMs: number): Promise<string[]>;
  /** Stops collecting (the announcement failed, or the wait is over). */
  close(): void;
}

interface Pending {
  readonly acked: Set<string>;
  /** Set while a `wait` runs: re-checks whether every expected instance has acked. */
  check?: () => void;
}

/**
 * Matches acknowledgements to the revocations this instance announced. A request is opened before
 * it is announced (an ack can travel back on another connection faster than the announcement's
 * reply), then waited on with the list of instances that must confirm; unknown request ids (a
 * late ack after the wait gave up, another instance's traffic) are ignored.
 */
export class AckWaiter {
  private readonly pending = new Map<string, Pending>();

  /** How many requests are open right now (for tests and leak checks). */
  get openRequests(): number {
    return this.pending.size;
  }

  open(requestId: string): AckCollection {
    const entry: Pending = { acked: new Set() };
    this.pending.set(requestId, entry);
    const close = () => {
      if (this.pending.get(requestId) === entry) this.pending.delete(requestId);
    };
    return {
      close,
      wait: (expected, timeoutMs) =>
        new Promise<string[]>((resolve) => {
          const waitingFor = new Set(expected);
          const missing = () => [...waitingFor].filter((id) => !entry.acked.has(id));
          const timer = { current: undefined as NodeJS.Timeout | undefined };
          const finish = () => {
            clearTimeout(timer.current);
            entry.check = undefined;
            close();
            resolve(missing());
          };
          entry.check = () => {
            if (missing().length === 0) finish();
          };
          if (missing().length === 0 || timeoutMs <= 0) return finish();
          timer.current = setTimeout(finish, timeoutMs);
        }),
    };
  }

  /** Records that `instanceId` has dropped the sessions of request `requestId`. */
  ack(requestId: string, instanceId: string): void {
    const entry = this.pending.get(requestId);
    if (!entry) return;
    entry.acked.add(instanceId);
    entry.check?.();
  }
}
