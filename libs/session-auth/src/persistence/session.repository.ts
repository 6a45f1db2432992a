import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { endedByExpiry } from './revoke-reason.js';
import type { SessionContext } from '../sessions/session-context.js';
import type { DeviceKeySource, RevokeReason, SessionEntity } from './session.entity.js';
import { idleEndSql, LIVE_SQL } from './session-lifetime.js';
import { runStatement, type StatementOptions } from './run-statement.js';
import { type SessionRow, toSessionEntity } from './session-row.js';

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

/** A session to start (see {@link SessionRepository.createWithinLimit}). */
export interface NewSession {
  userId: string;
  context: SessionContext;
  deviceName: string;
  refreshNonce: Buffer;
  idleTtl: number;
  absoluteTtl: number;
  /** The device key the session is bound to from the start, if the client proved one. */
  deviceKey?: SessionDeviceKey;
}

/** Which of a user's live sessions to revoke. */
export type RevokeScope =
  { kind: 'one'; sessionId: string } | { kind: 'all-but'; sessionId: string } | { kind: 'all' };

/**
 * The SQL the library runs against `sessions` (rotation's is in RotationRepository); every query
 * has its index. Every statement is raw SQL through `runStatement`, like the other repositories;
 * the ones that can join a caller's transaction take `{ manager }`.
 */
@Injectable()
export class SessionRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** The session row, or `undefined`. */
  async findById(sessionId: string): Promise<SessionEntity | undefined> {
    const { rows } = await this.run<SessionRow>(`SELECT * FROM sessions WHERE id = $1`, [
      sessionId,
    ]);
    return rows[0] && toSessionEntity(rows[0]);
  }

  /**
   * Inserts a session and ends the user's least recently active ones beyond `maxSessions`, in one
   * transaction that holds a per-user advisory lock, so two sign-ins at once cannot both slip
   * under the limit. Returns the new session and those it ended.
   */
  createWithinLimit(
    input: NewSession,
    maxSessions: number,
  ): Promise<{ session: SessionEntity; evicted: RevokedSession[] }> {
    return this.dataSource.transaction(async (manager) => {
      await this.run(
        `SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`,
        [`session-auth:user:${input.userId}`],
        { manager },
      );
      const session = await this.insert(input, { manager });
      const beyond = await this.findBeyondLimit(input.userId, maxSessions, { manager });
      return { session, evicted: await this.revokeByIds(beyond, 'SESSION_LIMIT', { manager }) };
    });
  }

  /**
   * Revokes live sessions of one user; returns those it ended (none twice, even under races). The
   * UPDATE and its NOTIFY are one statement (see {@link revokeWhere}).
   */
  revoke(
    userId: string,
    scope: RevokeScope,
    reason: RevokeReason,
    options: StatementOptions = {},
  ): Promise<RevokedSession[]> {
    const which =
      scope.kind === 'one' ? 'AND id = $2' : scope.kind === 'all-but' ? 'AND id <> $2' : '';
    const params = scope.kind === 'all' ? [userId] : [userId, scope.sessionId];
    return this.revokeWhere(`user_id = $1 ${which}`, params, reason, true, options);
  }

  /** Revokes the given sessions (any user) with one reason, in `manager`'s transaction if given. */
  async revokeByIds(
    ids: string[],
    reason: RevokeReason,
    options: StatementOptions = {},
  ): Promise<RevokedSession[]> {
    if (ids.length === 0) return [];
    return this.revokeWhere('id = ANY($1::uuid[])', [ids], reason, !endedByExpiry(reason), options);
  }

  /** Live sessions of a user, most recently active first. */
  findLive(userId: string): Promise<SessionEntity[]> {
    return this.findLiveOfUsers([userId]);
  }

  /** Live sessions of several users (one query), most recently active first. */
  async findLiveOfUsers(userIds: string[]): Promise<SessionEntity[]> {
    const { rows } = await this.run<SessionRow>(
      `SELECT * FROM sessions WHERE user_id = ANY($1::varchar[]) AND ${LIVE_SQL}
        ORDER BY last_active_at DESC, created_at DESC`,
      [userIds],
    );
    return rows.map(toSessionEntity);
  }

  /** Records a fresh password sign-in on a live session of the user; false if there is none. */
  async markAuthenticated(sessionId: string, userId: string): Promise<boolean> {
    const { affected } = await this.run(
      `UPDATE sessions SET authenticated_at = now()
        WHERE id = $1 AND user_id = $2 AND revoked_at IS NULL`,
      [sessionId, userId],
    );
    return affected > 0;
  }

  /** Records activity without extending any lifetime. */
  async touch(sessionId: string): Promise<void> {
    await this.run(
      `UPDATE sessions SET last_active_at = now() WHERE id = $1 AND revoked_at IS NULL`,
      [sessionId],
    );
  }

  /**
   * Inserts a session at refresh generation 0 (its first token is derived from it, not stored),
   * stamped and given its lifetimes on the database's clock.
   */
  private async insert(input: NewSession, options: StatementOptions): Promise<SessionEntity> {
    const { context, deviceKey } = input;
    const { rows } = await this.run<SessionRow>(
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
      options,
    );
    return toSessionEntity(rows[0]);
  }

  /** Ids of a user's live sessions beyond the newest `keep` (for maxSessionsPerUser). */
  private async findBeyondLimit(
    userId: string,
    keep: number,
    options: StatementOptions,
  ): Promise<string[]> {
    const { rows } = await this.run<{ id: string }>(
      `SELECT id FROM sessions WHERE user_id = $1 AND revoked_at IS NULL
        ORDER BY last_active_at DESC, created_at DESC OFFSET $2`,
      [userId, keep],
      options,
    );
    return rows.map((row) => row.id);
  }

  /**
   * The UPDATE and the NOTIFY that announces it (150 ids per message: payloads stop at 8000 bytes)
   * in one statement: both commit or neither does, so no failure between them can leave the other
   * instances' copies "active" while the row says revoked. The NOTIFY is a hint: listeners re-read
   * the rows it names (findRevoked) before they mark anything.
   */
  private async revokeWhere(
    where: string,
    params: unknown[],
    reason: RevokeReason,
    announce: boolean,
    options: StatementOptions,
  ): Promise<RevokedSession[]> {
    const n = params.length;
    const update = `UPDATE sessions SET revoked_at = now(), revoke_reason = $${n + 1}
        WHERE ${where} AND revoked_at IS NULL RETURNING id, user_id`;
    const sql = announce
      ? `WITH revoked AS (${update}),
         notified AS (
           SELECT pg_notify('${REVOCATION_CHANNEL}', string_agg(id::text, ','))
             FROM (SELECT id, (row_number() OVER () - 1) / 150 AS chunk FROM revoked) ids
            GROUP BY chunk)
         SELECT id, user_id FROM revoked CROSS JOIN (SELECT count(*) FROM notified) sent`
      : `WITH revoked AS (${update}) SELECT id, user_id FROM revoked`;
    const { rows } = await this.run(sql, [...params, reason], options);
    return toRevoked(rows);
  }

  private run<T = unknown>(sql: string, params: unknown[], options: StatementOptions = {}) {
    return runStatement<T>(this.dataSource, sql, params, options);
  }
}

export function toRevoked(raw: unknown): RevokedSession[] {
  return (raw as { id: string; user_id: string }[]).map((row) => ({
    id: row.id,
    userId: row.user_id,
  }));
}
