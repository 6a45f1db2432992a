import type { HeldLock } from './cleanup-lock.js';
import { LockFence, LockLost } from './lock-fence.js';

function lock(answers: boolean[]): HeldLock & { checks: number } {
  const held = {
    via: 'redis' as const,
    checks: 0,
    stillHeld: async () => answers[held.checks++] ?? false,
    release: async () => undefined,
  };
  return held;
}

describe('LockFence', () => {
  it('lets batches through while the lock is held', async () => {
    const held = lock([true, true, true]);
    const fence = new LockFence(held);

    for (let i = 0; i < 3; i++) await fence.check();

    expect(held.checks).toBe(3);
  });

  it('stops the run before the first batch after the lock was lost, naming that batch', async () => {
    const fence = new LockFence(lock([true, true, false]));
    await fence.check();
    await fence.check();

    const lost = await fence.check().catch((error: unknown) => error);

    expect(lost).toBeInstanceOf(LockLost);
    expect((lost as LockLost).batch).toBe(3);
  });
});
