import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { DropRing } from './drop-ring.js';
import type { ListenerEvents } from './revocation-listener.js';
import type { RevocationThreadData, ThreadCommand, ThreadReport } from './revocation-thread.js';

/** How long leaving and closing wait for the thread before going on without it. */
const STEP_TIMEOUT_MS = 1000;

/**
 * The main thread's handle on the revocation thread (revocation-thread.ts). The thread runs from
 * the compiled package only: from TypeScript sources (this repository's own tests) there is no
 * entry file to start, and the listener runs on the main thread instead.
 */
export class RevocationThread {
  private closing = false;
  private left?: () => void;

  private constructor(
    private readonly worker: Worker,
    /** The ids the thread dropped, for the main thread to forget before it reads a local copy. */
    readonly drops: DropRing,
  ) {}

  /**
   * Starts the thread, or answers `undefined` where it cannot run. `exited` is called if the
   * thread stops by itself (an error): the caller then listens on the main thread.
   */
  static start(
    data: Omit<RevocationThreadData, 'drops'>,
    events: Omit<ListenerEvents, 'drop'>,
    exited: (error?: Error) => void,
  ): RevocationThread | undefined {
    const entry = threadEntry();
    if (!entry) return undefined;
    const drops = new DropRing();
    const worker = new Worker(entry, { workerData: { ...data, drops: drops.buffer } });
    worker.unref(); // never what keeps a process alive: closed on shutdown
    const thread = new RevocationThread(worker, drops);
    worker.on('message', (report: ThreadReport) => {
      if (report.kind === 'ack') events.ack(report.requestId, report.from);
      else if (report.kind === 'listening') events.listening(report.live);
      else thread.left?.();
    });
    let failure: Error | undefined;
    worker.on('error', (error) => (failure = error));
    worker.on('exit', () => {
      if (thread.closing) return;
      events.listening(false);
      exited(failure);
    });
    return thread;
  }

  /** Takes this instance out of the presence set; it still acknowledges until closed. */
  leave(): Promise<void> {
    return this.step('leave', (done) => (this.left = done));
  }

  close(): Promise<void> {
    this.closing = true;
    return this.step('close', (done) => this.worker.once('exit', done)).then(
      () => void this.worker.terminate(),
    );
  }

  /** Sends `command`, then waits for `awaitDone`'s callback, at most STEP_TIMEOUT_MS. */
  private step(command: ThreadCommand, awaitDone: (done: () => void) => void): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, STEP_TIMEOUT_MS);
      awaitDone(() => {
        clearTimeout(timer);
        resolve();
      });
      this.worker.postMessage(command);
    });
  }
}

/** The compiled entry beside this file (CommonJS, so `__dirname`), if there is one. */
function threadEntry(): string | undefined {
  if (typeof __dirname !== 'string') return undefined;
  const entry = join(__dirname, 'revocation-thread.js');
  return existsSync(entry) ? entry : undefined;
}
