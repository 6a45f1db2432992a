/**
 * One way of telling every other live instance that sessions were revoked and hearing each one
 * confirm that it dropped its in-process copies (see RevocationBarrier). Two exist: Redis pub/sub
 * with presence in Redis, and PostgreSQL NOTIFY with presence in `pg_stat_activity`.
 */
export interface RevocationTransport {
  /** For logs and the `transport` label of the metric. */
  readonly name: 'redis' | 'postgres';
  /** Whether it can carry an announcement and its acknowledgements right now. */
  isReady(): boolean;
  /**
   * Announces request `requestId` about `sessionIds` (already revoked in PostgreSQL and marked in
   * the shared cache) to every other live instance. Resolves with the instance ids that must
   * acknowledge it (acks arrive through RevocationPeer.acks), or `undefined` when it could not
   * announce (then another transport is tried).
   */
  announce(requestId: string, sessionIds: string[]): Promise<string[] | undefined>;
}
