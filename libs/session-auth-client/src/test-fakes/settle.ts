import { jest } from '@jest/globals';

/**
 * Awaits a promise while the fake clock runs in small steps (a refresh holds its lock 50 ms for
 * the handover to the other tabs, so an awaited refresh needs the clock to move).
 */
export async function settle<T>(promise: Promise<T>): Promise<T> {
  let done = false;
  promise.then(
    () => (done = true),
    () => (done = true),
  );
  for (let step = 0; !done; step++) {
    if (step === 10_000) throw new Error('still pending after 100 s on the fake clock');
    await jest.advanceTimersByTimeAsync(10);
  }
  return promise;
}
