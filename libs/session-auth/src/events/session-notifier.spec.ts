import { jest } from '@jest/globals';
import type { ModuleRef } from '@nestjs/core';
import { SessionEvents } from './session-events.js';
import type { RevocationBarrier } from '../revocation/revocation-barrier.js';
import { disabledMetrics } from '../test-fakes/disabled-metrics.js';
import { SessionNotifier } from './session-notifier.js';
import type { SessionStateService } from '../cache/session-state.service.js';

async function setup(withEvents = true) {
  const order: string[] = [];
  const markRevoked = jest.fn(async (_sessions: { id: string; userId: string }[]) => {
    order.push('markRevoked');
  });
  const emit = jest.fn((event: string, _payload: object) => {
    order.push(event);
    return true;
  });
  const confirm = jest.fn(async (_sessionIds: string[]) => {
    order.push('confirm');
  });
  const notifier = new SessionNotifier(
    { markRevoked } as unknown as SessionStateService,
    { confirm } as unknown as RevocationBarrier,
    disabledMetrics(),
    {
      get: () => {
        if (!withEvents) throw new Error('EventEmitter2 is not provided');
        return { emit };
      },
    } as unknown as ModuleRef,
  );
  await notifier.onModuleInit();
  return { notifier, markRevoked, confirm, emit, order };
}

describe('SessionNotifier', () => {
  it('marks the sessions revoked, waits for the other instances, then emits one event per user', async () => {
    const { notifier, markRevoked, confirm, emit, order } = await setup();
    const sessions = [
      { id: 's1', userId: 'alice' },
      { id: 's2', userId: 'bob' },
      { id: 's3', userId: 'alice' },
    ];

    await notifier.revoked(sessions, 'TERMINATED_ALL');

    expect(markRevoked).toHaveBeenCalledWith(sessions);
    expect(confirm).toHaveBeenCalledWith(['s1', 's2', 's3']);
    expect(order).toEqual([
      'markRevoked',
      'confirm',
      SessionEvents.TERMINATED,
      SessionEvents.TERMINATED,
    ]);
    expect(emit).toHaveBeenCalledWith(SessionEvents.TERMINATED, {
      userId: 'alice',
      sessionIds: ['s1', 's3'],
      reason: 'TERMINATED_ALL',
    });
    expect(emit).toHaveBeenCalledWith(SessionEvents.TERMINATED, {
      userId: 'bob',
      sessionIds: ['s2'],
      reason: 'TERMINATED_ALL',
    });
  });

  it('does nothing for an empty list', async () => {
    const { notifier, markRevoked, emit } = await setup();

    await notifier.revoked([], 'EXPIRED');

    expect(markRevoked).not.toHaveBeenCalled();
    expect(emit).not.toHaveBeenCalled();
  });

  it('neither marks nor waits for sessions that ended by expiry (every instance refuses them)', async () => {
    const { notifier, markRevoked, confirm, emit } = await setup();

    await notifier.revoked([{ id: 's1', userId: 'alice' }], 'EXPIRED');

    expect(markRevoked).not.toHaveBeenCalled();
    expect(confirm).not.toHaveBeenCalled();
    expect(emit).toHaveBeenCalledTimes(1);
  });

  it('still updates the cache without an event emitter in the app', async () => {
    const { notifier, markRevoked } = await setup(false);

    await notifier.revoked([{ id: 's1', userId: 'alice' }], 'LOGOUT');
    notifier.emit(SessionEvents.CREATED, {});

    expect(markRevoked).toHaveBeenCalledTimes(1);
  });

  it('uses the documented event names', () => {
    expect(SessionEvents).toEqual({
      CREATED: 'session.created',
      ROTATED: 'session.rotated',
      TERMINATED: 'session.terminated',
      REUSE_DETECTED: 'session.reuse_detected',
    });
  });
});
