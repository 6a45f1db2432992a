import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { runStatement } from './run-statement.js';
import { type RevokedSession, toRevoked } from './session.repository.js';
import { OUTLIVED_SQL } from './session-lifetime.js';

/** The cleanup's SQL: each method is one statement over at most `limit` rows. */
@Injectable()
export class CleanupRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /**
   * Ends up to `limit` sessions past their idle or absolute lifetime, walking the partial index on
   * the idle end in order, so ended rows are never read (by both ends, or unordered, PostgreSQL
   * scanned the whole table: 1.2 s per batch at 2M rows, docs/capacity.md).
   * SKIP LOCKED: a session being refreshed right now is left for the next batch or run.
   */
  async endExpired(limit: number): Promise<RevokedSession[]> {
    const { rows } = await runStatement(
      this.dataSource,
      `UPDATE sessions SET revoked_at = now(), revoke_reason = 'EXPIRED'
        WHERE id IN (SELECT id FROM sessions WHERE revoked_at IS NULL AND ${OUTLIVED_SQL}
                      ORDER BY idle_expires_at LIMIT $1 FOR UPDATE SKIP LOCKED)
       RETURNING id, user_id`,
      [limit],
    );
    return toRevoked(rows);
  }

  /** Deletes up to `limit` sessions ended more than `retentionSeconds` ago. */
  deleteEndedSessions(retentionSeconds: number, limit: number): Promise<number> {
    return this.affected(
      `DELETE FROM sessions WHERE id IN (
         SELECT id FROM sessions WHERE revoked_at < now() - make_interval(secs => $1) LIMIT $2)`,
      [retentionSeconds, limit],
    );
  }

  private async affected(sql: string, params: unknown[]): Promise<number> {
    return (await runStatement(this.dataSource, sql, params)).affected;
  }
}
