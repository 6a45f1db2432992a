import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { runStatement } from './run-statement.js';
import type { SessionContext } from '../sessions/session-context.js';
import type { SessionEntity } from './session.entity.js';
import type { SessionDeviceKey } from './session.repository.js';
import { idleEndSql, LIVE_SQL } from './session-lifetime.js';
import { type SessionRow, toSessionEntity } from './session-row.js';

/** A rotation's request: which generation of which session to spend. */
export interface RotationRequest {
  sessionId: string;
  generation: number;
  /** The presented token's nonce: it must be the session's. */
  nonce: Buffer;
  context: SessionContext;
  idleTtlSeconds: number;
  /** Device binding (the options of the same names). */
  rules: { bindDevice: boolean; bindUserAgent: boolean };
  /**
   * The device key this refresh proved (`null`: none). With `enforce`, a bound session advances
   * only for its own key, and an unbound one is bound to the proved key (once); with `required`,
   * an unbound session does not advance without one.
   */
  deviceKey: SessionDeviceKey | null;
  keyRules: { enforce: boolean; required: boolean };
}

/**
 * The whole rotation, one row, one statement: advance the generation only while it is the
 * presented one, the nonce matches, the session is live, (when bound) on its device and (when bound
 * to a device key) proved by that key. The UPDATE
 * takes the row lock and PostgreSQL re-checks the WHERE on the row's latest version once granted,
 * so of concurrent rotations of one generation exactly one matches, and a rotation queued behind a
 * revocation sees `revoked_at` set and spends nothing.
 */
const ADVANCE = `
UPDATE sessions
   SET refresh_generation = refresh_generation + 1,
       rotated_at = now(),
       last_active_at = now(),
       idle_expires_at = ${idleEndSql('$4', 'absolute_expires_at')},
       ip = COALESCE($5, ip),
       key_thumbprint = CASE WHEN $10 THEN COALESCE(key_thumbprint, $11) ELSE key_thumbprint END,
       key_alg = CASE WHEN $10 AND key_thumbprint IS NULL THEN $12 ELSE key_alg END,
       key_source = CASE WHEN $10 AND key_thumbprint IS NULL THEN $13 ELSE key_source END,
       key_jwk = CASE WHEN $10 AND key_thumbprint IS NULL THEN $15 ELSE key_jwk END
 WHERE id = $1 AND refresh_generation = $2 AND refresh_nonce = $3
   AND ${LIVE_SQL}
   AND (NOT $6 OR NULLIF(device_id, '') IS NULL OR device_id IS NOT DISTINCT FROM $7)
   AND (NOT $8 OR NULLIF(user_agent, '') IS NULL OR user_agent IS NOT DISTINCT FROM $9)
   AND (NOT $10 OR key_thumbprint = $11
        OR (key_thumbprint IS NULL AND (NOT $14 OR $11 IS NOT NULL)))
RETURNING *`;

/** The SQL of refresh-token rotation. */
@Injectable()
export class RotationRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** Spends the presented generation; `undefined` when the statement matched no row. */
  async advance(request: RotationRequest): Promise<SessionEntity | undefined> {
    const { context, rules, deviceKey, keyRules } = request;
    const { rows } = await runStatement<SessionRow>(this.dataSource, ADVANCE, [
      request.sessionId,
      request.generation,
      request.nonce,
      request.idleTtlSeconds,
      context.ip ?? null,
      rules.bindDevice,
      context.deviceId ?? null,
      rules.bindUserAgent,
      context.userAgent ?? null,
      keyRules.enforce,
      deviceKey?.thumbprint ?? null,
      deviceKey?.alg ?? null,
      deviceKey?.source ?? null,
      keyRules.required,
      deviceKey?.jwk ?? null,
    ]);
    return rows[0] && toSessionEntity(rows[0]);
  }

  /** The session as it stands, and the database's clock, in one round trip. */
  async find(sessionId: string): Promise<{ session?: SessionEntity; now: Date }> {
    const { rows } = await runStatement<SessionRow & { db_now: Date }>(
      this.dataSource,
      `SELECT s.*, now() AS db_now FROM (SELECT 1) one LEFT JOIN sessions s ON s.id = $1`,
      [sessionId],
    );
    const [row] = rows;
    return { session: row.id ? toSessionEntity(row) : undefined, now: new Date(row.db_now) };
  }
}
