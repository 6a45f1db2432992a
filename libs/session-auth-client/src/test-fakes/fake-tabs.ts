/**
 * The browser's cross-tab APIs as fakes: a BroadcastChannel that delivers to the other instances
 * of the same name (as a browser does between tabs), and a Web Locks LockManager that grants one
 * holder per name at a time. `installTabFakes` puts them where the client looks (globalThis).
 */
export class FakeBroadcastChannel {
  private static readonly open = new Set<FakeBroadcastChannel>();
  onmessage: ((event: { data: unknown }) => void) | null = null;

  constructor(readonly name: string) {
    FakeBroadcastChannel.open.add(this);
  }

  postMessage(message: unknown): void {
    const data = structuredClone(message);
    for (const other of FakeBroadcastChannel.open) {
      if (other !== this && other.name === this.name) {
        queueMicrotask(() => other.onmessage?.({ data }));
      }
    }
  }

  close(): void {
    FakeBroadcastChannel.open.delete(this);
  }

  static closeAll(): void {
    FakeBroadcastChannel.open.clear();
  }
}

export class FakeLockManager {
  /** How many times a lock was granted. */
  granted = 0;
  private readonly tails = new Map<string, Promise<unknown>>();

  request<T>(name: string, _options: unknown, work: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(name) ?? Promise.resolve();
    const run = previous.then(() => {
      this.granted++;
      return work();
    });
    this.tails.set(
      name,
      run.catch(() => undefined),
    );
    return run;
  }
}

/** Installs the fakes (`withLocks: false` leaves Web Locks out); returns the undo. */
export function installTabFakes(options: { withLocks: boolean }): {
  locks?: FakeLockManager;
  uninstall(): void;
} {
  const saved = {
    navigator: Object.getOwnPropertyDescriptor(globalThis, 'navigator'),
    channel: Object.getOwnPropertyDescriptor(globalThis, 'BroadcastChannel'),
  };
  const locks = options.withLocks ? new FakeLockManager() : undefined;
  Object.defineProperty(globalThis, 'navigator', {
    value: { locks },
    configurable: true,
    writable: true,
  });
  Object.defineProperty(globalThis, 'BroadcastChannel', {
    value: FakeBroadcastChannel,
    configurable: true,
    writable: true,
  });
  return {
    locks,
    uninstall() {
      FakeBroadcastChannel.closeAll();
      for (const [key, descriptor] of Object.entries(saved)) {
        const name = key === 'channel' ? 'BroadcastChannel' : 'navigator';
        if (descriptor) Object.defineProperty(globalThis, name, descriptor);
        else delete (globalThis as Record<string, unknown>)[name];
      }
    },
  };
}
