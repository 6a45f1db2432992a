/**
 * An ioredis `Redis` or `Cluster` client, described by shape so that the package's types never
 * name `ioredis`: an app that does not use Redis compiles without it installed.
 */
export interface RedisClientLike {
  readonly status: string;
  duplicate(...args: any[]): unknown;
  quit(): Promise<unknown>;
}
