import type { DataSource, EntityManager } from 'typeorm';
import { RevocationRepository } from './revocation.repository.js';
import { REVOCATION_CHANNEL, SessionRepository } from './session.repository.js';

const SESSION = '0b6f1c1e-3a52-4c1e-9d5e-2b0f3c3a9e11';

/** A data source whose connections record every statement and answer with `rows`. */
function recording(rows: object[] = [{ id: SESSION, user_id: 'u1' }]) {
  const statements: { sql: string; params: unknown[]; runner: string }[] = [];
  const runner = (name: string) => ({
    query: async (sql: string, params: unknown[]) => {
      statements.push({ sql, params, runner: name });
      return { records: rows, affected: rows.length };
    },
    release: async () => undefined,
  });
  const dataSource = { createQueryRunner: () => runner('pool') } as unknown as DataSource;
  const manager = { queryRunner: runner('transaction') } as unknown as EntityManager;
  return { repository: new SessionRepository(dataSource), statements, manager };
}

describe('SessionRepository revocations (security round 3, L4)', () => {
  it.each([
    ['one', { kind: 'one', sessionId: SESSION }],
    ['all-but', { kind: 'all-but', sessionId: SESSION }],
    ['all', { kind: 'all' }],
  ] as const)(
    'revokes (%s) and announces in ONE statement: both commit or neither does',
    async (_name, scope) => {
      const { repository, statements } = recording();

      const revoked = await repository.revoke('u1', scope, 'TERMINATED');

      expect(revoked).toEqual([{ id: SESSION, userId: 'u1' }]);
      expect(statements).toHaveLength(1);
      expect(statements[0].sql).toMatch(/UPDATE sessions[\s\S]*pg_notify\('session_auth_revoked'/);
      expect(statements[0].params.at(-1)).toBe('TERMINATED');
    },
  );

  it('revokes by ids in the caller’s transaction, announcing unless the sessions merely expired', async () => {
    const { repository, statements, manager } = recording();

    await repository.revokeByIds([SESSION], 'SESSION_LIMIT', { manager });
    await repository.revokeByIds([SESSION], 'EXPIRED', { manager });

    expect(statements.map((s) => s.runner)).toEqual(['transaction', 'transaction']);
    expect(statements[0].sql).toContain(`pg_notify('${REVOCATION_CHANNEL}'`);
    expect(statements[1].sql).not.toContain('pg_notify');
  });

  it('re-reads only uuids, and nothing at all when none is one (a forged NOTIFY of junk)', async () => {
    const queries: unknown[][] = [];
    const runner = {
      query: async (_sql: string, params: unknown[]) => {
        queries.push(params);
        return { records: [{ id: SESSION, user_id: 'u1', revoke_reason: 'LOGOUT' }] };
      },
      release: async () => undefined,
    };
    const repository = new RevocationRepository({
      createQueryRunner: () => runner,
    } as unknown as DataSource);

    await expect(repository.findRevoked(['../../y', '*'])).resolves.toEqual([]);
    await expect(repository.findRevoked([SESSION, 'x'])).resolves.toEqual([
      { id: SESSION, userId: 'u1', reason: 'LOGOUT' },
    ]);
    expect(queries).toEqual([[[SESSION]]]);
  });
});
