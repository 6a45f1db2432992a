import { RedisAdapter } from '@socket.io/redis-adapter';
import { Adapter, SessionAwareAdapter } from 'socket.io-adapter';
import { spansInstances } from './spans-instances.js';

describe('spansInstances', () => {
  it('is false for the in-memory adapters (their serverSideEmit only warns)', () => {
    expect(spansInstances(Object.create(Adapter.prototype) as object)).toBe(false);
    expect(spansInstances(Object.create(SessionAwareAdapter.prototype) as object)).toBe(false);
  });

  it('is true for the Redis adapter', () => {
    expect(spansInstances(Object.create(RedisAdapter.prototype) as object)).toBe(true);
  });
});
