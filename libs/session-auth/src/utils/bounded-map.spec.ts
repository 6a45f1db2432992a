import { jest } from '@jest/globals';
import { BoundedMap } from './bounded-map.js';

describe('BoundedMap', () => {
  beforeEach(() => jest.useFakeTimers({ now: new Date('2030-01-01T00:00:00Z') }));
  afterEach(() => jest.useRealTimers());

  it('keeps at most `max` entries, dropping the least recently used', () => {
    const map = new BoundedMap<string>(2);
    map.set('a', '1');
    map.set('b', '2');
    map.get('a');

    map.set('c', '3');

    expect(map.size).toBe(2);
    expect(map.get('b')).toBeUndefined();
    expect(map.get('a')).toBe('1');
    expect(map.get('c')).toBe('3');
  });

  it('expires an entry once its TTL has passed, like Redis PX', () => {
    const map = new BoundedMap<string>(10);
    map.set('k', 'v', 1000);

    jest.advanceTimersByTime(999);
    expect(map.get('k')).toBe('v');

    jest.advanceTimersByTime(1);
    expect(map.has('k')).toBe(false);
    expect(map.get('k')).toBeUndefined();
  });

  it('applies the default TTL to entries set without their own', () => {
    const map = new BoundedMap<string>(10, 50);
    map.set('short', 'v');
    map.set('long', 'v', 500);

    jest.advanceTimersByTime(50);

    expect(map.get('short')).toBeUndefined();
    expect(map.get('long')).toBe('v');
  });

  it('keeps entries without a TTL until they are pushed out', () => {
    const map = new BoundedMap<string>(10);
    map.set('k', 'v');

    jest.advanceTimersByTime(365 * 24 * 3600_000);

    expect(map.get('k')).toBe('v');
  });

  it('treats a TTL of zero or less as already expired, and removes an earlier value', () => {
    const map = new BoundedMap<string>(10);
    map.set('k', 'old', 1000);

    map.set('k', 'new', 0);

    expect(map.get('k')).toBeUndefined();
  });

  it('counts a fractional TTL up to the next whole millisecond', () => {
    const map = new BoundedMap<string>(10);
    map.set('k', 'v', 1.2);

    jest.advanceTimersByTime(1);
    expect(map.get('k')).toBe('v');
    jest.advanceTimersByTime(1);
    expect(map.get('k')).toBeUndefined();
  });

  it('follows Date.now() moved by a spy, with real timers (no cached clock reading)', () => {
    jest.useRealTimers();
    const map = new BoundedMap<string>(10);
    const start = Date.now();
    const now = jest.spyOn(Date, 'now').mockReturnValue(start);
    map.set('k', 'v', 1000);

    now.mockReturnValue(start + 1000);

    expect(map.get('k')).toBeUndefined();
    now.mockRestore();
  });

  it('deletes, clears and lists its live keys, most recently used first', () => {
    const map = new BoundedMap<string>(10);
    map.set('a', '1');
    map.set('b', '2');
    map.set('c', '3');
    map.get('a');

    map.delete('b');
    expect(map.keys()).toEqual(['a', 'c']);
    expect(map.has('b')).toBe(false);

    map.clear();
    expect(map.size).toBe(0);
  });
});
