/** Thrown by `ConcurrencyLimit.run` when the queue is full; says how long the queue needs to drain. */
export class QueueFullError extends Error {
  constructor(readonly drainEstimateMs: number) {
    super('the queue is full');
    this.name = 'QueueFullError';
  }
}

interface Waiter {
  start(): void;
}

/** Weight of the latest task in the running average of task durations. */
const AVERAGE_WEIGHT = 0.2;

/**
 * Runs at most `max` tasks at once; up to `maxWaiting` more wait in arrival order, and one more is
 * refused at once (QueueFullError). A waiting task whose signal aborts (its client went away)
 * leaves the queue without running; a task already running is never interrupted.
 */
export class ConcurrencyLimit {
  private running = 0;
  private readonly waiting: Waiter[] = [];
  private averageTaskMs = 0;

  constructor(
    private readonly max: number,
    private readonly maxWaiting = Number.POSITIVE_INFINITY,
    /** Told the number of waiting tasks whenever it changes (for a gauge). */
    private readonly onQueueChange: (queued: number) => void = () => undefined,
  ) {}

  /** Tasks waiting for a slot now. */
  get queued(): number {
    return this.waiting.length;
  }

  async run<T>(task: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    signal?.throwIfAborted();
    if (this.running < this.max) this.running++;
    else await this.wait(signal);
    const started = performance.now();
    try {
      return await task();
    } finally {
      const took = performance.now() - started;
      this.averageTaskMs = this.averageTaskMs
        ? this.averageTaskMs + AVERAGE_WEIGHT * (took - this.averageTaskMs)
        : took;
      this.release();
    }
  }

  /** Resolves holding a slot (handed over by `release`), or rejects when full or aborted. */
  private wait(signal: AbortSignal | undefined): Promise<void> {
    if (this.waiting.length >= this.maxWaiting) {
      const ahead = this.running + this.waiting.length;
      throw new QueueFullError(Math.ceil((this.averageTaskMs * ahead) / this.max));
    }
    return new Promise<void>((resolve, reject) => {
      const onAbort = (): void => {
        const index = this.waiting.indexOf(waiter);
        if (index !== -1) this.waiting.splice(index, 1);
        this.onQueueChange(this.waiting.length);
        reject(signal!.reason);
      };
      const waiter: Waiter = {
        start: () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiting.push(waiter);
      this.onQueueChange(this.waiting.length);
    });
  }

  private release(): void {
    const next = this.waiting.shift();
    if (next) {
      this.onQueueChange(this.waiting.length);
      next.start();
    } else this.running--;
  }
}
