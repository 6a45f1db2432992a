import type { EntityManager } from 'typeorm';

/** PostgreSQL NOTIFY channel that carries the ids of revoked sessions. */
export const REVOCATION_CHANNEL = 'session_auth_revoked';
/** NOTIFY payloads are limited to 8000 bytes: 36-character ids, comma-separated, 150 at a time. */
const IDS_PER_NOTIFY = 150;

/** Announces revoked sessions on PostgreSQL; delivered on commit when `m` is inside a transaction. */
export async function announceRevoked(m: EntityManager, sessionIds: string[]): Promise<void> {
  for (let i = 0; i < sessionIds.length; i += IDS_PER_NOTIFY) {
    const payload = sessionIds.slice(i, i + IDS_PER_NOTIFY).join(',');
    await m.query('SELECT pg_notify($1, $2)', [REVOCATION_CHANNEL, payload]);
  }
}
