import { jest } from '@jest/globals';
import type { ModuleRef } from '@nestjs/core';
import { SessionEvents } from '../events/session-events.js';
import { disabledMetrics } from '../test-fakes/disabled-metrics.js';
import { SessionNotifier } from './session-notifier.js';
import type { SessionStateService } from './session-state.service.js';

async function setup(withEvents = true) {
  const order: string[] = [];
  const markRevoked = jest.fn(async (_sessions: { id: string; userId: string }[]) => {
    order.push('markRevoked');
  });
  const emit = jest.fn((event: string, _payload: object) => {
    order.push(event);
    return true;
  });
  const notifier = new SessionNotifier(
    { markRevoked } as unknown as SessionStateService,
    disabledMetrics(),
    {
      get: () => {
        if (!withEvents) throw new Error('EventEmitter2 is not provided');
        return { emit };
      },
    } as unknown as ModuleRef,
  );
  await notifier.onModuleInit();
  return { notifier, markRevoked, emit, order };
}

describe('SessionNotifier', () => {
  it('marks the sessions revoked in the cache first, then emits one event per user', async () => {
    const { notifier, markRevoked, emit, order } = await setup();
    const sessions = [
      { id: 's1', userId: 'alice' },
      { id: 's2', userId: 'bob' },
      { id: 's3', userId: 'alice' },
    ];

    await notifier.revoked(sessions, 'TERMINATED_ALL');

    expect(markRevoked).toHaveBeenCalledWith(sessions);
    expect(order).toEqual(['markRevoked', SessionEvents.TERMINATED, SessionEvents.TERMINATED]);
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
