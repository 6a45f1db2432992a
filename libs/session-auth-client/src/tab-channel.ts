import { type TabMessage, tabMessageOf } from './tab-message.js';

export type { TabMessage };

/** A tab never waits longer than this for another tab's refresh; then it refreshes on its own. */
const LOCK_WAIT_MS = 20_000;

/**
 * The tabs of one browser share one refresh cookie, so they must not rotate it at the same time.
 * Refreshes run under a Web Lock, and the new access token goes to the other tabs over a
 * BroadcastChannel. Without Web Locks (an insecure context, an old browser) refreshes run
 * unlocked: the tokens handed over the channel and the jittered schedule make a collision rare,
 * and the server's grace window answers the rest with the same successor.
 */
export class TabChannel {
  private readonly channel?: BroadcastChannel;

  constructor(
    private readonly lockName: string,
    channelName: string,
    onMessage: (message: TabMessage) => void,
  ) {
    if (typeof BroadcastChannel === 'function') {
      this.channel = new BroadcastChannel(channelName);
      this.channel.onmessage = (event: MessageEvent<unknown>) => {
        const message = tabMessageOf(event.data);
        if (message) onMessage(message);
      };
    }
  }

  post(message: TabMessage): void {
    this.channel?.postMessage(message);
  }

  /** Runs `work` while holding the browser-wide refresh lock, where there is one. */
  async exclusive<T>(work: () => Promise<T>): Promise<T> {
    const locks = globalThis.navigator?.locks;
    if (!locks) return work();
    try {
      return await locks.request(
        this.lockName,
        { signal: AbortSignal.timeout(LOCK_WAIT_MS) },
        work,
      );
    } catch (error) {
      // Only a lock that was never granted lands here as a DOMException; errors of `work` pass on.
      if (isLockTimeout(error)) return work();
      throw error;
    }
  }

  close(): void {
    this.channel?.close();
  }
}

function isLockTimeout(error: unknown): boolean {
  const name = (error as { name?: unknown } | undefined)?.name;
  return (
    typeof DOMException === 'function' &&
    error instanceof DOMException &&
    (name === 'TimeoutError' || name === 'AbortError')
  );
}
