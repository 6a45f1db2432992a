/** `command()`'s answer, or a rejection once `ms` have passed without one. */
export async function withinMs<T>(command: () => Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([command(), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
