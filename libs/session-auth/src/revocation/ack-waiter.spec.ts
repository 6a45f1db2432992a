import { jest } from '@jest/globals';
import { AckWaiter } from './ack-waiter.js';

describe('AckWaiter', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('resolves with nobody missing once every expected instance has acked', async () => {
    const waiter = new AckWaiter();
    const acks = waiter.open('r1');
    let missing: string[] | undefined;
    void acks.wait(['b', 'c'], 250).then((m) => (missing = m));

    waiter.ack('r1', 'b');
    await Promise.resolve();
    expect(missing).toBeUndefined();
    waiter.ack('r1', 'c');
    await Promise.resolve();

    expect(missing).toEqual([]);
    expect(waiter.openRequests).toBe(0);
  });

  it('counts acks that arrived before the list of expected instances', async () => {
    const waiter = new AckWaiter();
    const acks = waiter.open('r1');
    waiter.ack('r1', 'b');

    await expect(acks.wait(['b'], 250)).resolves.toEqual([]);
  });

  it('resolves at once when nobody is expected', async () => {
    const waiter = new AckWaiter();

    await expect(waiter.open('r1').wait([], 250)).resolves.toEqual([]);
    expect(waiter.openRequests).toBe(0);
  });

  it('gives up after the timeout and names the instances that did not ack', async () => {
    const waiter = new AckWaiter();
    const acks = waiter.open('r1');
    const result = acks.wait(['b', 'c', 'd'], 250);
    waiter.ack('r1', 'c');

    jest.advanceTimersByTime(249);
    await Promise.resolve();
    let settled = false;
    void result.then(() => (settled = true));
    await Promise.resolve();
    expect(settled).toBe(false);
    jest.advanceTimersByTime(1);

    await expect(result).resolves.toEqual(['b', 'd']);
    expect(waiter.openRequests).toBe(0);
  });

  it('does not wait at all when no time is left', async () => {
    const waiter = new AckWaiter();

    await expect(waiter.open('r1').wait(['b'], 0)).resolves.toEqual(['b']);
  });

  it('ignores acks of other requests, unknown requests and instances nobody expects', async () => {
    const waiter = new AckWaiter();
    const acks = waiter.open('r1');
    const result = acks.wait(['b'], 100);
    waiter.ack('r2', 'b');
    waiter.ack('r1', 'stranger');
    waiter.ack('never-opened', 'b');

    jest.advanceTimersByTime(100);

    await expect(result).resolves.toEqual(['b']);
  });

  it('forgets a request that is closed without waiting (its announcement failed)', () => {
    const waiter = new AckWaiter();
    const acks = waiter.open('r1');

    acks.close();
    waiter.ack('r1', 'b');

    expect(waiter.openRequests).toBe(0);
  });
});
