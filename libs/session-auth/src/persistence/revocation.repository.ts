import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { runStatement } from './run-statement.js';
import type { RevokeReason } from './revoke-reason.js';
import { REVOCATION_CHANNEL, type RevokedSession, toRevoked } from './session.repository.js';
import { isUuid } from './uuid.js';

/**
 * What revocation reads back from the table: the rows a hint names, the recent revocations a
 * cache must catch up on, and the hint itself sent again. (The revoking statements, with their
 * NOTIFY, are SessionRepository's.)
 */
@Injectable()
export class RevocationRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /**
   * Names sessions that are already revoked on the revocation channel again (a retried revoke
   * whose first NOTIFY may never have gone out): the same hint the revoking statement sends.
   */
  async notifyRevoked(ids: string[]): Promise<void> {
    if (ids.length === 0) return;
    await runStatement(
      this.dataSource,
      `SELECT pg_notify('${REVOCATION_CHANNEL}', string_agg(id, ','))
         FROM (SELECT id, (row_number() OVER () - 1) / 150 AS chunk FROM unnest($1::text[]) id) ids
        GROUP BY chunk`,
      [ids],
    );
  }

  /**
   * Which of `ids` are revoked in the table (any reason): what a revocation hint (a NOTIFY anyone
   * with CONNECT can send) is checked against before anything is marked. Ids that are not uuids
   * are ignored.
   */
  async findRevoked(ids: string[]): Promise<(RevokedSession & { reason: RevokeReason })[]> {
    const uuids = ids.filter(isUuid);
    if (uuids.length === 0) return [];
    const { rows } = await runStatement<{
      id: string;
      user_id: string;
      revoke_reason: RevokeReason;
    }>(
      this.dataSource,
      `SELECT id, user_id, revoke_reason FROM sessions
        WHERE id = ANY($1::uuid[]) AND revoked_at IS NOT NULL`,
      [uuids],
    );
    return rows.map((row) => ({ id: row.id, userId: row.user_id, reason: row.revoke_reason }));
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
}
