import { randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';
import type { SessionContext } from '../sessions/session-context.js';
import { type RevokeReason, SessionEntity } from '../sessions/session.entity.js';
import { runStatement } from '../utils/run-statement.js';
import { generateRefreshToken, hashRefreshToken, sealSuccessor } from './refresh-token.crypto.js';

/**
 * The common refresh in one round trip: spend the token only if it is unspent and its session is
 * live, insert the successor and extend the idle lifetime, in one statement (so one implicit
 * transaction). The first step locks the session row (FOR NO KEY UPDATE, the lock a revocation's
 * UPDATE also takes) and PostgreSQL re-checks `revoked_at` on the row's latest version once the
 * lock is granted: a refresh that queued behind a revocation sees it and spends nothing. The
 * UPDATE takes the token's row lock: of concurrent refreshes of one token exactly one matches; the
 * others see it spent and take the careful path (grace window or reuse).
 */
const ROTATE = `
WITH live AS (
  SELECT s.id
    FROM sessions s
    JOIN refresh_tokens rt ON rt.session_id = s.id
   WHERE rt.token_hash = $1 AND rt.spent_at IS NULL
     AND s.revoked_at IS NULL
     AND s.idle_expires_at > now() AND s.absolute_expires_at > now()
     FOR NO KEY UPDATE OF s
), spent AS (
  UPDATE refresh_tokens rt
     SET spent_at = now(), sealed_successor = $2
    FROM live
   WHERE rt.token_hash = $1 AND rt.spent_at IS NULL AND rt.session_id = live.id
  RETURNING rt.id, rt.session_id
), successor AS (
  INSERT INTO refresh_tokens (id, session_id, token_hash, parent_id, created_at)
  SELECT $3, session_id, $4, id, now() FROM spent
  RETURNING session_id
)
UPDATE sessions s
   SET last_active_at = now(),
       idle_expires_at = LEAST(now() + make_interval(secs => $5), s.absolute_expires_at),
       ip = COALESCE($6, s.ip)
  FROM successor
 WHERE s.id = successor.session_id
RETURNING s.*`;

interface SessionRow {
  id: string;
  user_id: string;
  device_id: string | null;
  device_name: string | null;
  user_agent: string | null;
  ip: string | null;
  created_at: Date;
  authenticated_at: Date;
  last_active_at: Date;
  idle_expires_at: Date;
  absolute_expires_at: Date;
  revoked_at: Date | null;
  revoke_reason: string | null;
}

/** Rotates in one statement; `undefined` when the token is not an unspent token of a live session. */
export async function rotateInOneStatement(
  dataSource: DataSource,
  raw: string,
  context: SessionContext,
  idleTtlSeconds: number,
): Promise<{ session: SessionEntity; refreshToken: string } | undefined> {
  const successor = generateRefreshToken();
  const { rows } = await runStatement<SessionRow>(dataSource, ROTATE, [
    hashRefreshToken(raw),
    sealSuccessor(raw, successor),
    randomUUID(),
    hashRefreshToken(successor),
    idleTtlSeconds,
    context.ip ?? null,
  ]);
  const [row] = rows;
  return row && { session: toEntity(row), refreshToken: successor };
}

function toEntity(row: SessionRow): SessionEntity {
  return Object.assign(new SessionEntity(), {
    id: row.id,
    userId: row.user_id,
    deviceId: row.device_id,
    deviceName: row.device_name,
    userAgent: row.user_agent,
    ip: row.ip,
    createdAt: row.created_at,
    authenticatedAt: row.authenticated_at,
    lastActiveAt: row.last_active_at,
    idleExpiresAt: row.idle_expires_at,
    absoluteExpiresAt: row.absolute_expires_at,
    revokedAt: row.revoked_at,
    revokeReason: row.revoke_reason as RevokeReason | null,
  });
}
