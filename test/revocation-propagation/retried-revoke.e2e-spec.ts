import { login, me, register } from '../support/auth.js';
import { query } from '../support/database.js';
import { type DemoProcess, startDemos, stopDemos } from '../support/demo-process.js';
import { expectError, expectStatus } from '../support/expect-http.js';
import { ApiClient } from '../support/http-client.js';

// Security round 3, L4: a revocation whose row committed but whose news never went out (before:
// the UPDATE and the NOTIFY were separate statements, and the cache was marked after both) left
// the other instances' copies "active" for minutes, and a retry found nothing to revoke. Now the
// UPDATE and its NOTIFY are one statement, and a retry that finds the session already revoked
// propagates it again: the other instances refuse it by the time the retry answers.

let a: DemoProcess;
let b: DemoProcess;

beforeAll(async () => {
  const instance = { name: 'retried-revoke', env: { REDIS_URL: undefined } };
  [a, b] = await startDemos(instance, instance);
}, 60_000);

afterAll(async () => {
  await stopDemos(a, b);
});

it('a retried DELETE of a session whose revocation never went out makes B refuse it', async () => {
  const owner = await register(a.baseUrl, { deviceName: 'owner' });
  const victim = await login(b.baseUrl, owner.email, owner.password, { deviceName: 'victim' });
  const onB = new ApiClient(b.baseUrl);
  expectStatus(await me(onB, victim.accessToken), 200);
  // The first attempt: its row committed, and it failed before anything else happened.
  await query(
    `UPDATE sessions SET revoked_at = now(), revoke_reason = 'TERMINATED' WHERE id = $1`,
    [victim.session.id],
  );
  expectStatus(await me(onB, victim.accessToken), 200); // B's copy still says "active"

  const retried = await new ApiClient(a.baseUrl).delete(`/auth/sessions/${victim.session.id}`, {
    token: owner.accessToken,
  });

  expectError(retried, 404, 'SESSION_NOT_FOUND'); // it ended once, earlier
  expectError(await me(onB, victim.accessToken), 401, 'SESSION_REVOKED');
});

it('a retried logout on B of its own session, already revoked in the table, ends B’s copy (204)', async () => {
  const owner = await register(a.baseUrl, { deviceName: 'owner' });
  const onB = new ApiClient(b.baseUrl);
  expectStatus(await me(onB, owner.accessToken), 200);
  await query(`UPDATE sessions SET revoked_at = now(), revoke_reason = 'LOGOUT' WHERE id = $1`, [
    owner.session.id,
  ]);

  const onA = new ApiClient(a.baseUrl);
  expectStatus(await me(onA, owner.accessToken), 401);
  // B's copy lets the retried logout in; the logout must make B refuse from now on.
  expectStatus(await onB.post('/auth/logout', { token: owner.accessToken }), 204);
  expectError(await me(onB, owner.accessToken), 401, 'SESSION_REVOKED');
});
