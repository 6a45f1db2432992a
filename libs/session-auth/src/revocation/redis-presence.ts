import type { Cluster, Redis } from 'ioredis';

/** How often a present instance renews its entry. */
export const PRESENCE_HEARTBEAT_MS = 1000;
/**
 * How long an entry outlives its last renewal: a crashed instance (SIGKILL, power loss) stops being
 * waited for after this; meanwhile each revocation waits for it at most the bounded wait.
 */
export const PRESENCE_TTL_MS = 3000;

// Every script reads the time of the Redis server, not of the app servers: instances whose clocks
// disagree still agree on who is present. Each script touches one key, so it runs on a Cluster too.
const NOW = `local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)`;

/** ARGV: instance id, ttl ms. The whole set expires too once every instance has gone. */
const HEARTBEAT = `${NOW}
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[1])
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[2]) * 2)
return 1`;

/** ARGV: channel, message. Publishes, then lists who is present (in one step: nobody slips between). */
const ANNOUNCE = `${NOW}
redis.call('PUBLISH', ARGV[1], ARGV[2])
return redis.call('ZRANGE', KEYS[1], 0, -1)`;

/**
 * The instances that take part in revocations, as a sorted set `<prefix>revocation:instances`
 * (member: instance id, score: when its entry lapses, on the Redis server's clock). An instance is
 * present only while it is subscribed to the announcements, so every present instance hears them.
 */
export class RedisPresence {
  constructor(
    private readonly client: Redis | Cluster,
    private readonly key: string,
    private readonly instanceId: string,
  ) {}

  /** Adds or renews this instance's entry. */
  async renew(): Promise<void> {
    await this.client.eval(HEARTBEAT, 1, this.key, this.instanceId, String(PRESENCE_TTL_MS));
  }

  /** Removes this instance's entry (it stops listening, or shuts down). */
  async leave(): Promise<void> {
    await this.client.zrem(this.key, this.instanceId);
  }

  /** Publishes `message` on `channel` and returns the ids of every present instance. */
  async announce(channel: string, message: string): Promise<string[]> {
    return (await this.client.eval(ANNOUNCE, 1, this.key, channel, message)) as string[];
  }
}
