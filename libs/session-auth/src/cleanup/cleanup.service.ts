import { Inject, Injectable, Logger } from '@nestjs/common';
import { SESSION_AUTH_RESOLVED_OPTIONS } from '../session-auth.internal-tokens.js';
import type { ResolvedSessionAuthOptions } from '../session-auth.options.js';
import { SessionNotifier } from '../sessions/session-notifier.js';
import { SessionRepository } from '../sessions/session.repository.js';

/** What one cleanup run did. */
export interface CleanupResult {
  ended: number;
  deleted: number;
  durationMs: number;
}

/** Rows per statement: small enough that no statement holds many row locks for long. */
const BATCH = 1000;

/** Ends expired sessions and deletes old rows, batch by batch. */
@Injectable()
export class CleanupService {
  private readonly logger = new Logger('SessionAuthCleanup');

  constructor(
    @Inject(SESSION_AUTH_RESOLVED_OPTIONS) private readonly options: ResolvedSessionAuthOptions,
    private readonly repository: SessionRepository,
    private readonly notifier: SessionNotifier,
  ) {}

  async run(): Promise<CleanupResult> {
    const started = Date.now();
    const ended = await this.endExpiredSessions();
    const deleted = await this.deleteOldRows();
    await this.clearSealedSuccessors();
    const result = { ended, deleted, durationMs: Date.now() - started };
    this.logger.log(`cleanup: ended ${result.ended} sessions, deleted ${result.deleted} rows in ${result.durationMs} ms`);
    return result;
  }

  private async endExpiredSessions(): Promise<number> {
    let total = 0;
    for (;;) {
      const revoked = await this.repository.dataSource.transaction(async (m) => {
        // SKIP LOCKED: a session being refreshed right now is left for the next batch or run.
        const rows: { id: string }[] = await m.query(
          `SELECT id FROM sessions WHERE revoked_at IS NULL
             AND (idle_expires_at <= now() OR absolute_expires_at <= now())
           LIMIT $1 FOR UPDATE SKIP LOCKED`,
          [BATCH],
        );
        return this.repository.revokeByIds(m, rows.map((r) => r.id), 'EXPIRED');
      });
      await this.notifier.revoked(revoked, 'EXPIRED');
      total += revoked.length;
      if (revoked.length < BATCH) return total;
    }
  }

  private async deleteOldRows(): Promise<number> {
    const retention = `${Math.round(this.options.cleanupRetention)} seconds`;
    let total = 0;
    for (const sql of [
      `DELETE FROM refresh_tokens WHERE id IN (
         SELECT id FROM refresh_tokens WHERE spent_at < now() - $1::interval LIMIT ${BATCH})`,
      // Refresh tokens of the session go with it (ON DELETE CASCADE).
      `DELETE FROM sessions WHERE id IN (
         SELECT id FROM sessions WHERE revoked_at < now() - $1::interval LIMIT ${BATCH})`,
    ]) {
      for (;;) {
        const [, count] = (await this.repository.dataSource.query(sql, [retention])) as [unknown, number];
        total += count;
        if (count < BATCH) break;
      }
    }
    return total;
  }

  /** Past the grace window a sealed successor has no use; drop it so old rows hold no token material. */
  private async clearSealedSuccessors(): Promise<void> {
    const grace = `${this.options.reuseGraceSeconds} seconds`;
    for (;;) {
      const [, count] = (await this.repository.dataSource.query(
        `UPDATE refresh_tokens SET sealed_successor = NULL WHERE id IN (
           SELECT id FROM refresh_tokens WHERE sealed_successor IS NOT NULL AND spent_at < now() - $1::interval LIMIT ${BATCH})`,
        [grace],
      )) as [unknown, number];
      if (count < BATCH) return;
    }
  }
}
