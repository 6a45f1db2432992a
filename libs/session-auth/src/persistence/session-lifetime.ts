/**
 * The lifetime rules, written once. A session ends at the earlier of its idle end and its
 * absolute end. Sign-in and every rotation set the idle end to `now + idleTtl`, never past the
 * absolute end, which nothing extends. The database's clock decides: the SQL forms use `now()`,
 * the in-process forms take the database's time as an argument.
 */

/** SQL: the session row is live now. */
export const LIVE_SQL =
  'revoked_at IS NULL AND idle_expires_at > now() AND absolute_expires_at > now()';

/**
 * SQL: the session has outlived its idle or absolute end (whether or not it was marked ended yet).
 * The idle end is never later than the absolute end, so the idle end alone decides; written so,
 * PostgreSQL can walk the partial index on it instead of scanning the table.
 */
export const OUTLIVED_SQL = 'idle_expires_at <= now()';

/** SQL: the idle end after activity now, given the parameter holding `idleTtl` seconds and the absolute end. */
export function idleEndSql(idleTtlParam: string, absoluteEnd: string): string {
  return `LEAST(now() + make_interval(secs => ${idleTtlParam}), ${absoluteEnd})`;
}

/** When the session ends (epoch ms): the earlier of its two ends. */
export function sessionEnd(session: { idleExpiresAt: Date; absoluteExpiresAt: Date }): number {
  return Math.min(session.idleExpiresAt.getTime(), session.absoluteExpiresAt.getTime());
}

/** Whether the session has outlived its lifetime at `now` (the database's time). */
export function hasOutlived(
  session: { idleExpiresAt: Date; absoluteExpiresAt: Date },
  now: Date,
): boolean {
  return sessionEnd(session) <= now.getTime();
}
