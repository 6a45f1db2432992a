import { jest } from '@jest/globals';
import type { ModuleRef } from '@nestjs/core';
import { SessionEvents } from './session-events.js';
import type { RevocationPropagator } from '../revocation/revocation-propagator.js';
import { disabledMetrics } from '../test-fakes/disabled-metrics.js';
import { SessionNotifier } from './session-notifier.js';

async function setup(withEvents = true) {
  const order: string[] = [];
  const propagate = jest.fn(async (_sessions: { id: string; userId: string }[]) => {
    order.push('propagate');
  });
  const emit = jest.fn((event: string, _payload: object) => {
    order.push(event);
    return true;
  });
  const notifier = new SessionNotifier(
    { propagate } as unknown as RevocationPropagator,
    disabledMetrics(),
    {
      get: () => {
        if (!withEvents) throw new Error('EventEmitter2 is not provided');
        return { emit };
      },
    } as unknown as ModuleRef,
  );
  await notifier.onModuleInit();
  return { notifier, propagate, emit, order };
}

describe('SessionNotifier', () => {
  it('propagates the revocation (every instance refuses it), then emits one event per user', async () => {
    const { notifier, propagate, emit, order } = await setup();
    const sessions = [
      { id: 's1', userId: 'alice' },
      { id: 's2', userId: 'bob' },
      { id: 's3', userId: 'alice' },
    ];

    await notifier.propagateAndEmit(sessions, 'TERMINATED_ALL');

    expect(propagate).toHaveBeenCalledWith(sessions);
    expect(order).toEqual(['propagate', SessionEvents.TERMINATED, SessionEvents.TERMINATED]);
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
    const { notifier, propagate, emit } = await setup();

    await notifier.propagateAndEmit([], 'EXPIRED');

    expect(propagate).not.toHaveBeenCalled();
    expect(emit).not.toHaveBeenCalled();
  });

  it('neither marks nor waits for sessions that ended by expiry (every instance refuses them)', async () => {
    const { notifier, propagate, emit } = await setup();

    await notifier.propagateAndEmit([{ id: 's1', userId: 'alice' }], 'EXPIRED');

    expect(propagate).not.toHaveBeenCalled();
    expect(emit).toHaveBeenCalledTimes(1);
  });

  it('still updates the cache without an event emitter in the app', async () => {
    const { notifier, propagate } = await setup(false);

    await notifier.propagateAndEmit([{ id: 's1', userId: 'alice' }], 'LOGOUT');
    notifier.emit(SessionEvents.CREATED, {});

    expect(propagate).toHaveBeenCalledTimes(1);
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
