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
  while (!done) await jest.advanceTimersByTimeAsync(10);
  return promise;
}
