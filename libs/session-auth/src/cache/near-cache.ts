import { BoundedMap } from '../utils/bounded-map.js';

/**
 * A bounded in-process copy of hot cache entries, kept honest by invalidation messages that every
 * instance publishes when it changes an entry. It answers only while its invalidation feed is
 * live: when the subscription drops it empties itself and stays off until resubscribed, so a
 * missed message can never leave a stale entry in use (reads then go to Redis or PostgreSQL).
 */
export class NearCache {
  private readonly entries: BoundedMap<string>;
  private enabled = false;
  /** Bumped by every invalidation: a read that started before one must not store its result. */
  private generation = 0;

  constructor(maxEntries = 100_000, ttlMs = 60_000) {
    this.entries = new BoundedMap(maxEntries, ttlMs);
  }

  get isEnabled(): boolean {
    return this.enabled;
  }

  get currentGeneration(): number {
    return this.generation;
  }

  get(key: string): string | undefined {
    if (!this.enabled) return undefined;
    return this.entries.get(key);
  }

  /** Stores a value read or written at `generation`, unless an invalidation arrived since. */
  store(key: string, value: string, generation: number): void {
    if (!this.enabled || generation !== this.generation) return;
    this.entries.set(key, value);
  }

  invalidate(key: string): void {
    this.generation++;
    this.entries.delete(key);
  }

  /** Forgets every entry; a read in flight must not store what it read before this. */
  clear(): void {
    this.generation++;
    this.entries.clear();
  }

  /** The invalidation feed is live (subscribed): start answering. */
  enable(): void {
    this.clear();
    this.enabled = true;
  }

  /** The invalidation feed dropped: forget everything and stop answering. */
  disable(): void {
    this.clear();
    this.enabled = false;
  }
}
