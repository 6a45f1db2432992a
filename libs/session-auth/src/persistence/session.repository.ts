import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import { runStatement } from './run-statement.js';
import { announceRevoked } from './revocation-channel.js';
import { endedByExpiry } from './revoke-reason.js';
import type { SessionContext } from '../sessions/session-context.js';
import { type DeviceKeySource, type RevokeReason, SessionEntity } from './session.entity.js';
import { idleEndSql, LIVE_SQL } from './session-lifetime.js';
import { type SessionRow, toSessionEntity } from './session-row.js';

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
    const row = await this.dataSource.getRepository(SessionEntity).findOneBy({ id: sessionId });
    return row ?? undefined;
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

  /** Revokes live sessions of one user; returns those it ended (none twice, even under races). */
  async revoke(
    m: EntityManager | undefined,
    userId: string,
    scope: RevokeScope,
    reason: RevokeReason,
  ): Promise<RevokedSession[]> {
    const query = (m ?? this.dataSource.manager)
      .createQueryBuilder()
      .update(SessionEntity)
      .set({ revokedAt: () => 'now()', revokeReason: reason })
      .where('user_id = :userId AND revoked_at IS NULL', { userId });
    if (scope.kind === 'one') query.andWhere('id = :sessionId', { sessionId: scope.sessionId });
    if (scope.kind === 'all-but')
      query.andWhere('id <> :sessionId', { sessionId: scope.sessionId });
    const result = await query.returning('id, user_id').execute();
    return this.announced(m ?? this.dataSource.manager, toRevoked(result.raw));
  }

  /** Revokes the given sessions (any user) with one reason, in `m`'s transaction if given. */
  async revokeByIds(
    m: EntityManager | undefined,
    ids: string[],
    reason: RevokeReason,
  ): Promise<RevokedSession[]> {
    if (ids.length === 0) return [];
    const manager = m ?? this.dataSource.manager;
    const result = await manager
      .createQueryBuilder()
      .update(SessionEntity)
      .set({ revokedAt: () => 'now()', revokeReason: reason })
      .where('id IN (:...ids) AND revoked_at IS NULL', { ids })
      .returning('id, user_id')
      .execute();
    const revoked = toRevoked(result.raw);
    return endedByExpiry(reason) ? revoked : this.announced(manager, revoked);
  }

  private async announced(m: EntityManager, revoked: RevokedSession[]): Promise<RevokedSession[]> {
    await announceRevoked(
      m,
      revoked.map((s) => s.id),
    );
    return revoked;
  }

  /**
   * Sessions revoked (for any reason but expiry) within the last `withinSeconds` of the database's
   * clock, `limit` at a time in id order after `afterId` (the revoked_at index finds the window).
   */
  async findRecentlyRevoked(
    withinSeconds: number,
    afterId: string | undefined,
    limit: number,
  ): Promise<RevokedSession[]> {
    const { rows } = await runStatement(
      this.dataSource,
      `SELECT id, user_id FROM sessions
        WHERE revoked_at > now() - make_interval(secs => $1)
          AND revoke_reason IS DISTINCT FROM 'EXPIRED'
          AND ($2::uuid IS NULL OR id > $2::uuid)
        ORDER BY id LIMIT $3`,
      [withinSeconds, afterId ?? null, limit],
    );
    return toRevoked(rows);
  }

  /** Live sessions of a user, most recently active first. */
  findLive(userId: string): Promise<SessionEntity[]> {
    return this.findLiveOfUsers([userId]);
  }

  /** Live sessions of several users (one query), most recently active first. */
  findLiveOfUsers(userIds: string[]): Promise<SessionEntity[]> {
    return this.dataSource
      .getRepository(SessionEntity)
      .createQueryBuilder('s')
      .where('s.user_id IN (:...userIds)', { userIds })
      .andWhere(LIVE_SQL)
      .orderBy('s.last_active_at', 'DESC')
      .addOrderBy('s.created_at', 'DESC')
      .getMany();
  }

  /** Ids of a user's live sessions beyond the newest `keep` (for maxSessionsPerUser). */
  async findBeyondLimit(m: EntityManager, userId: string, keep: number): Promise<string[]> {
    const rows = await m
      .getRepository(SessionEntity)
      .createQueryBuilder('s')
      .select('s.id', 'id')
      .where('s.user_id = :userId AND s.revoked_at IS NULL', { userId })
      .orderBy('s.last_active_at', 'DESC')
      .addOrderBy('s.created_at', 'DESC')
      .offset(keep)
      .getRawMany<{ id: string }>();
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
