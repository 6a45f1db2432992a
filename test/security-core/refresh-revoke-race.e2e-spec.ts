import pg from 'pg';
import { login, me, refreshCookieOf, refreshWithBody, register } from '../support/auth.js';
import { query, refreshGeneration } from '../support/database.js';
import { type DemoProcess, startDemo } from '../support/demo-process.js';
import { testEnv } from '../support/env.js';
import { expectError, expectOneOfErrors, expectStatus } from '../support/expect-http.js';
import { eventually, sleep } from '../support/timing.js';

// Security round 2, finding 9: a refresh racing a revocation. The rotation must refuse a session
// that is revoked by the time it takes the session row, in the same statement: never 200 with new
// tokens for a session whose revocation committed first.
//
// The first test forces the worst interleaving: the revocation's UPDATE is made (uncommitted) in
// the test's own transaction, the refresh starts and queues behind that row lock, and only then
// does the revocation commit. The second runs many free interleavings over HTTP and checks the
// invariants that must hold whatever the order.

let demo: DemoProcess;

beforeAll(async () => {
  demo = await startDemo({ name: 'refresh-revoke-race' });
});

afterAll(async () => {
  await demo?.stop();
});

/** Backends of the test database that wait for a lock the given backend holds. */
async function blockedBy(pid: number): Promise<number[]> {
  const rows = await query<{ pid: number }>(
    'SELECT pid FROM pg_stat_activity WHERE $1 = ANY(pg_blocking_pids(pid))',
    [pid],
  );
  return rows.map((row) => row.pid);
}

it('a refresh queued behind a revocation that commits first is refused, not rotated', async () => {
  const device = await register(demo.baseUrl);
  const revoker = new pg.Client({ connectionString: testEnv().databaseUrl });
  await revoker.connect();
  let refresh: ReturnType<typeof refreshWithBody> | undefined;
  try {
    const [{ pid }] = (await revoker.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows;
    await revoker.query('BEGIN');
    // What SessionRepository.revoke runs for a terminate, left uncommitted for now.
    await revoker.query(
      `UPDATE sessions SET revoked_at = now(), revoke_reason = 'TERMINATED'
        WHERE id = $1 AND revoked_at IS NULL`,
      [device.session.id],
    );
    refresh = refreshWithBody(device.client, device.refreshToken);
    await eventually(async () => expect(await blockedBy(pid)).toHaveLength(1), {
      timeoutMs: 4000,
      intervalMs: 20,
    });
    await revoker.query('COMMIT');
  } finally {
    await revoker.query('ROLLBACK').catch(() => undefined);
    await revoker.end();
  }

  const answer = await refresh!;
  expectError(answer, 401, 'SESSION_REVOKED');
  // The presented token was not spent for a successor of a revoked session.
  expect(await refreshGeneration(device.session.id)).toBe(0);
});

it('over many free interleavings of refresh and terminate, no refresh outlives the revocation', async () => {
  const rounds = 30;
  const outcomes = { rotated: 0, refused: 0 };
  const owner = await register(demo.baseUrl, { deviceName: 'owner' });
  for (let round = 0; round < rounds; round++) {
    const device = await login(demo.baseUrl, owner.email, owner.password, {
      deviceName: `racer ${round}`,
    });
    const delay = round % 6;
    const [refreshed, terminated] = await Promise.all([
      refreshWithBody(device.client, device.refreshToken),
      sleep(delay).then(() =>
        owner.client.delete(`/auth/sessions/${device.session.id}`, { token: owner.accessToken }),
      ),
    ]);
    expectStatus(terminated, 204);
    if (refreshed.status === 200) {
      outcomes.rotated++;
      // It rotated before the revocation: whatever it handed out is dead now.
      expectError(await me(device.client, refreshed.body.accessToken), 401, 'SESSION_REVOKED');
      expectError(
        await refreshWithBody(device.client, refreshCookieOf(refreshed)),
        401,
        'SESSION_REVOKED',
      );
    } else {
      outcomes.refused++;
      expectOneOfErrors(refreshed, [{ status: 401, code: 'SESSION_REVOKED' }]);
    }
    expectError(await me(device.client, device.accessToken), 401, 'SESSION_REVOKED');
    const [row] = await query<{ revoked: boolean }>(
      'SELECT revoked_at IS NOT NULL AS revoked FROM sessions WHERE id = $1',
      [device.session.id],
    );
    expect(row.revoked).toBe(true);
  }
  console.log(
    `refresh-revoke-race: ${rounds} rounds, ${outcomes.rotated} rotated first, ${outcomes.refused} refused`,
  );
}, 60_000);
