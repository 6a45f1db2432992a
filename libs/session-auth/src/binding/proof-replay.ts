import { createHash } from 'node:crypto';
import type { SessionCache } from '../cache/session-cache.interface.js';
import { BoundedMap } from '../utils/bounded-map.js';

/**
 * Remembers the `jti` of every accepted proof for as long as the proof could be accepted, so a
 * proof is used once (RFC 9449 section 11.1). Shared across instances through the cache (Redis
 * `SET NX PX`); when the store does not answer, this instance's own memory still refuses what it
 * has seen (a replay to another instance during a Redis outage then gets through; the nonce still
 * bounds how old the proof can be).
 */
export class ProofReplayGuard {
  private readonly local = new BoundedMap<true>(100_000);

  constructor(private readonly cache: SessionCache) {}

  /** `true` the first time a key's `jti` is seen within `ttlMs`, `false` for a replay. */
  async firstUse(thumbprint: string, jti: string, ttlMs: number): Promise<boolean> {
    const id = createHash('sha256').update(`${thumbprint}.${jti}`).digest('base64url');
    const key = `proof-jti:${id}`;
    if (this.local.has(key)) return false;
    this.local.set(key, true, ttlMs);
    const stored = await this.cache.setIfAbsent(key, '1', ttlMs);
    return stored !== false;
  }
}
