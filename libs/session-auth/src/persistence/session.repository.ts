import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import { endedByExpiry } from './revoke-reason.js';
import type { SessionContext } from '../sessions/session-context.js';
import { type DeviceKeySource, type RevokeReason, SessionEntity } from './session.entity.js';
import { idleEndSql, LIVE_SQL } from './session-lifetime.js';
import { type SessionRow, toSessionEntity } from './session-row.js';
import { runStatement } from './run-statement.js';

/** PostgreSQL NOTIFY channel on which every revocation names the sessions it ended (a hint). */
export const REVOCATION_CHANNEL = 'session_auth_revoked';

/** A session that a revocation just ended. */
export interface RevokedSession {
  id: string;
  userId: string;
}

/** A device key as a session row keeps it. */
export interface SessionDeviceKey {
  thumbprint: string;
  alg: string;
  source: DeviceKeySource;
}

/** Which of a user's live sessions to revoke. */
export type RevokeScope =
  { kind: 'one'; sessionId: string } | { kind: 'all-but'; sessionId: string } | { kind: 'all' };

/** The SQL the library runs against `sessions` (rotation's is in RotationRepository); every query has its index. */
@Injectable()
export class SessionRepository {
  constructor(@InjectDataSource() readonly dataSource: DataSource) {}

  /**
   * Inserts a session at refresh generation 0 (its first token is derived from it, not stored),
   * stamped and given its lifetimes on the database's clock.
   */
  async insert(
    m: EntityManager,
    input: {
      userId: string;
      context: SessionContext;
      deviceName: string;
      refreshNonce: Buffer;
      idleTtl: number;
      absoluteTtl: number;
      /** The device key the session is bound to from the start, if the client proved one. */
      deviceKey?: SessionDeviceKey;
    },
  ): Promise<SessionEntity> {
    const { context, deviceKey } = input;
    const rows = (await m.query(
      `INSERT INTO sessions (id, user_id, device_id, device_name, user_agent, ip, created_at,
          authenticated_at, last_active_at, idle_expires_at, absolute_expires_at, refresh_nonce,
          key_thumbprint, key_alg, key_source)
       SELECT $1, $2, $3, $4, $5, $6, now(), now(), now(), ${idleEndSql('$7', 'absolute.at')},
              absolute.at, $9, $10, $11, $12
         FROM (SELECT now() + make_interval(secs => $8) AS at) absolute
       RETURNING *`,
      [
        randomUUID(),
        input.userId,
        context.deviceId ?? null,
        input.deviceName,
        context.userAgent ?? null,
        context.ip ?? null,
        input.idleTtl,
        input.absoluteTtl,
        input.refreshNonce,
        deviceKey?.thumbprint ?? null,
        deviceKey?.alg ?? null,
        deviceKey?.source ?? null,
      ],
    )) as SessionRow[];
    return toSessionEntity(rows[0]);
  }

  /** The session row, or `undefined`. */
  async findById(sessionId: string): Promise<SessionEntity | undefined> {
    const { rows } = await runStatement<SessionRow>(
      this.dataSource,
      'SELECT * FROM sessions WHERE id = $1',
      [sessionId],
    );
    return rows[0] && toSessionEntity(rows[0]);
  }

  /**
   * Inserts a session and ends the user's least recently active ones beyond `maxSessions`, in one
   * transaction that holds a per-user advisory lock, so two sign-ins at once cannot both slip
   * under the limit. Returns the new session and those it ended.
   */
  createWithinLimit(
    input: Parameters<SessionRepository['insert']>[1],
    maxSessions: number,
  ): Promise<{ session: SessionEntity; evicted: RevokedSession[] }> {
    return this.dataSource.transaction(async (m) => {
      await m.query(`SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`, [
        `session-auth:user:${input.userId}`,
      ]);
      const session = await this.insert(m, input);
      const beyond = await this.findBeyondLimit(m, input.userId, maxSessions);
      return { session, evicted: await this.revokeByIds(m, beyond, 'SESSION_LIMIT') };
    });
  }

  /**
   * Revokes live sessions of one user; returns those it ended (none twice, even under races). The
   * UPDATE and its NOTIFY are one statement (see {@link revokeWhere}).
   */
  async revoke(
    m: EntityManager | undefined,
    userId: string,
    scope: RevokeScope,
    reason: RevokeReason,
  ): Promise<RevokedSession[]> {
    const which =
      scope.kind === 'one' ? 'AND id = $2' : scope.kind === 'all-but' ? 'AND id <> $2' : '';
    const params = scope.kind === 'all' ? [userId] : [userId, scope.sessionId];
    return this.revokeWhere(m, `user_id = $1 ${which}`, params, reason, true);
  }

  /** Revokes the given sessions (any user) with one reason, in `m`'s transaction if given. */
  async revokeByIds(
    m: EntityManager | undefined,
    ids: string[],
    reason: RevokeReason,
  ): Promise<RevokedSession[]> {
    if (ids.length === 0) return [];
    return this.revokeWhere(m, 'id = ANY($1::uuid[])', [ids], reason, !endedByExpiry(reason));
  }

  /**
   * The UPDATE and the NOTIFY that announces it (150 ids per message: payloads stop at 8000 bytes)
   * in one statement: both commit or neither does, so no failure between them can leave the other
   * instances' copies "active" while the row says revoked. The NOTIFY is a hint: listeners re-read
   * the rows it names (findRevoked) before they mark anything.
   */
  private async revokeWhere(
    m: EntityManager | undefined,
    where: string,
    params: unknown[],
    reason: RevokeReason,
    announce: boolean,
  ): Promise<RevokedSession[]> {
    const n = params.length;
    const update = `UPDATE sessions SET revoked_at = now(), revoke_reason = $${n + 1}
        WHERE ${where} AND revoked_at IS NULL RETURNING id, user_id`;
    // A top-level SELECT either way: TypeORM answers it with the rows, whatever the manager.
    const sql = announce
      ? `WITH revoked AS (${update}),
         notified AS (
           SELECT pg_notify('${REVOCATION_CHANNEL}', string_agg(id::text, ','))
             FROM (SELECT id, (row_number() OVER () - 1) / 150 AS chunk FROM revoked) ids
            GROUP BY chunk)
         SELECT id, user_id FROM revoked CROSS JOIN (SELECT count(*) FROM notified) sent`
      : `WITH revoked AS (${update}) SELECT id, user_id FROM revoked`;
    return toRevoked(await (m ?? this.dataSource.manager).query(sql, [...params, reason]));
  }

  /** Live sessions of a user, most recently active first. */
  findLive(userId: string): Promise<SessionEntity[]> {
    return this.findLiveOfUsers([userId]);
  }

  /**
   * Live sessions of several users (one query), most recently active first. Plain SQL, as every
   * hot statement here: TypeORM's query builder cost more CPU than the query (every sign-in
   * lists the user's sessions for SESSION_CREATED).
   */
  async findLiveOfUsers(userIds: string[]): Promise<SessionEntity[]> {
    const { rows } = await runStatement<SessionRow>(
      this.dataSource,
      `SELECT * FROM sessions WHERE user_id = ANY($1::varchar[]) AND ${LIVE_SQL}
        ORDER BY last_active_at DESC, created_at DESC`,
      [userIds],
    );
    return rows.map(toSessionEntity);
  }

  /** Ids of a user's live sessions beyond the newest `keep` (for maxSessionsPerUser). */
  async findBeyondLimit(m: EntityManager, userId: string, keep: number): Promise<string[]> {
    const rows = (await m.query(
      `SELECT id FROM sessions WHERE user_id = $1 AND revoked_at IS NULL
        ORDER BY last_active_at DESC, created_at DESC OFFSET $2`,
      [userId, keep],
    )) as { id: string }[];
    return rows.map((row) => row.id);
  }

  /** Records a fresh password sign-in on a live session of the user; false if there is none. */
  async markAuthenticated(sessionId: string, userId: string): Promise<boolean> {
    const result = await this.dataSource
      .createQueryBuilder()
      .update(SessionEntity)
      .set({ authenticatedAt: () => 'now()' })
      .where('id = :sessionId AND user_id = :userId AND revoked_at IS NULL', { sessionId, userId })
      .execute();
    return (result.affected ?? 0) > 0;
  }

  /** Records activity without extending any lifetime. */
  async touch(sessionId: string): Promise<void> {
    await this.dataSource
      .createQueryBuilder()
      .update(SessionEntity)
      .set({ lastActiveAt: () => 'now()' })
      .where('id = :sessionId AND revoked_at IS NULL', { sessionId })
      .execute();
  }
}

export function toRevoked(raw: unknown): RevokedSession[] {
  return (raw as { id: string; user_id: string }[]).map((row) => ({
    id: row.id,
    userId: row.user_id,
  }));
}
