/**
 * An ioredis `Redis` or `Cluster` client, described by shape so that the package's types never
 * name `ioredis`: an app that does not use Redis compiles without it installed.
 */
export interface RedisClientLike {
  /** Connection state (`ready` when usable). */
  readonly status: string;
  /** A new connection with the same settings. */
  duplicate(...args: any[]): unknown;
  /** Closes the connection. */
  quit(): Promise<unknown>;
}
