export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Retries `check` until it stops throwing or `timeoutMs` runs out, then rethrows its last failure:
 * for things the contract allows to settle (e.g. revocation "within 1 second", Redis recovery).
 */
export async function eventually<T>(
  check: () => Promise<T>,
  { timeoutMs, intervalMs = 100 }: { timeoutMs: number; intervalMs?: number },
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await check();
    } catch (error) {
      if (Date.now() >= deadline) throw error;
    }
    await sleep(intervalMs);
  }
}
