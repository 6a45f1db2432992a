import { jest } from '@jest/globals';
import { NearCache } from './near-cache.js';

describe('NearCache', () => {
  beforeEach(() => jest.useFakeTimers({ now: new Date('2030-01-01T00:00:00Z') }));
  afterEach(() => jest.useRealTimers());

  /** An enabled cache (its invalidation feed is live). */
  function live(maxEntries?: number, ttlMs?: number): NearCache {
    const near = new NearCache(maxEntries, ttlMs);
    near.enable();
    return near;
  }

  it('starts off: answers nothing and stores nothing until its feed is live', () => {
    const near = new NearCache();

    near.store('k', 'v', near.currentGeneration);

    expect(near.isEnabled).toBe(false);
    expect(near.get('k')).toBeUndefined();
    near.enable();
    expect(near.get('k')).toBeUndefined();
  });

  it('answers a stored value while live', () => {
    const near = live();

    near.store('k', 'v', near.currentGeneration);

    expect(near.isEnabled).toBe(true);
    expect(near.get('k')).toBe('v');
  });

  it('forgets an entry after its TTL (60 s by default)', () => {
    const near = live();
    near.store('k', 'v', near.currentGeneration);

    jest.advanceTimersByTime(59_999);
    expect(near.get('k')).toBe('v');
    jest.advanceTimersByTime(1);
    expect(near.get('k')).toBeUndefined();
  });

  it('honours a TTL of its own; a store restarts it', () => {
    const near = live(10, 1000);
    near.store('k', 'v1', near.currentGeneration);
    jest.advanceTimersByTime(800);

    near.store('k', 'v2', near.currentGeneration);
    jest.advanceTimersByTime(800);

    expect(near.get('k')).toBe('v2');
    jest.advanceTimersByTime(200);
    expect(near.get('k')).toBeUndefined();
  });

  it('keeps at most maxEntries, dropping the least recently used', () => {
    const near = live(2);
    near.store('a', '1', near.currentGeneration);
    near.store('b', '2', near.currentGeneration);
    near.get('a');

    near.store('c', '3', near.currentGeneration);

    expect(near.get('a')).toBe('1');
    expect(near.get('b')).toBeUndefined();
    expect(near.get('c')).toBe('3');
  });

  it('drops an invalidated entry and bumps the generation', () => {
    const near = live();
    near.store('k', 'v', near.currentGeneration);
    near.store('other', 'w', near.currentGeneration);
    const before = near.currentGeneration;

    near.invalidate('k');

    expect(near.get('k')).toBeUndefined();
    expect(near.get('other')).toBe('w');
    expect(near.currentGeneration).toBe(before + 1);
  });

  it('refuses to store what a read started before an invalidation saw (no stale resurrection)', () => {
    const near = live();
    const readStartedAt = near.currentGeneration;

    near.invalidate('k'); // arrives while the read is in flight
    near.store('k', 'stale', readStartedAt);

    expect(near.get('k')).toBeUndefined();
    near.store('k', 'fresh', near.currentGeneration);
    expect(near.get('k')).toBe('fresh');
  });

  it('an invalidation of any key fences every read in flight', () => {
    const near = live();
    const readStartedAt = near.currentGeneration;

    near.invalidate('another-key');
    near.store('k', 'v', readStartedAt);

    expect(near.get('k')).toBeUndefined();
  });

  it('clear() forgets everything and fences reads in flight', () => {
    const near = live();
    near.store('k', 'v', near.currentGeneration);
    const readStartedAt = near.currentGeneration;

    near.clear();
    near.store('late', 'v', readStartedAt);

    expect(near.get('k')).toBeUndefined();
    expect(near.get('late')).toBeUndefined();
    expect(near.isEnabled).toBe(true);
  });

  it('disable() empties it and stops answering until enabled again, empty', () => {
    const near = live();
    near.store('k', 'v', near.currentGeneration);
    const readStartedAt = near.currentGeneration;

    near.disable();
    expect(near.isEnabled).toBe(false);
    expect(near.get('k')).toBeUndefined();
    near.store('k', 'v', near.currentGeneration);

    near.enable();
    expect(near.get('k')).toBeUndefined();
    near.store('k', 'v', readStartedAt);
    expect(near.get('k')).toBeUndefined();
  });
});
