import {
  DEFAULT_PASSWORD,
  login,
  me,
  refreshWithBody,
  register,
  type SignedIn,
} from '../support/auth.js';
import { query } from '../support/database.js';
import { type DemoProcess, startDemo } from '../support/demo-process.js';
import { expectError, expectStatus } from '../support/expect-http.js';
import { ApiClient } from '../support/http-client.js';

// POST /auth/password ends every other session (reason PASSWORD_CHANGED) unless keepOtherSessions;
// DELETE /me is a sensitive route behind @RequireFreshSession(300): it needs a password sign-in at
// most 300 s old, else 401 SESSION_NOT_FRESH.

const NEW_PASSWORD = 'a brand new passphrase 42';

let demo: DemoProcess;

beforeAll(async () => {
  // Many sign-ins and password changes from one IP: lift the per-IP sign-in limit.
  demo = await startDemo({ name: 'operability-password', env: { RATE_LIMIT_LOGIN_IP: '100000' } });
});

afterAll(() => demo?.stop());

function changePassword(device: SignedIn, body: Record<string, unknown>) {
  return device.client.post('/auth/password', { json: body, token: device.accessToken });
}

async function revokeReason(sessionId: string): Promise<string | null> {
  const [row] = await query<{ revoke_reason: string | null }>(
    'SELECT revoke_reason FROM sessions WHERE id = $1',
    [sessionId],
  );
  return row.revoke_reason;
}

describe('POST /auth/password', () => {
  it('refuses a wrong current password with 401 INVALID_CREDENTIALS and changes nothing', async () => {
    const laptop = await register(demo.baseUrl, { deviceName: 'laptop' });
    const phone = await login(demo.baseUrl, laptop.email, laptop.password, { deviceName: 'phone' });

    const wrong = await changePassword(laptop, {
      currentPassword: 'not the password',
      newPassword: NEW_PASSWORD,
    });
    expectError(wrong, 401, 'INVALID_CREDENTIALS');

    expectStatus(await me(phone.client, phone.accessToken), 200);
    expectStatus(await me(laptop.client, laptop.accessToken), 200);
    await login(demo.baseUrl, laptop.email, laptop.password);
    expectError(
      await new ApiClient(demo.baseUrl).post('/auth/login', {
        json: { email: laptop.email, password: NEW_PASSWORD },
      }),
      401,
      'INVALID_CREDENTIALS',
    );
  });

  it('with the right one: 204, every other session ends (PASSWORD_CHANGED), this one keeps working, only the new password signs in', async () => {
    const laptop = await register(demo.baseUrl, { deviceName: 'laptop' });
    const others = [
      await login(demo.baseUrl, laptop.email, laptop.password, { deviceName: 'phone' }),
      await login(demo.baseUrl, laptop.email, laptop.password, { deviceName: 'tablet' }),
    ];
    // Every session used once, so their "active" state sits in the guard's caches.
    for (const device of [laptop, ...others])
      expectStatus(await me(device.client, device.accessToken), 200);

    const changed = await changePassword(laptop, {
      currentPassword: DEFAULT_PASSWORD,
      newPassword: NEW_PASSWORD,
    });
    expectStatus(changed, 204);

    for (const other of others) {
      expectError(await me(other.client, other.accessToken), 401, 'SESSION_REVOKED');
      expectError(await refreshWithBody(other.client, other.refreshToken), 401, 'SESSION_REVOKED');
      expect(await revokeReason(other.session.id)).toBe('PASSWORD_CHANGED');
    }

    expectStatus(await me(laptop.client, laptop.accessToken), 200);
    const refreshed = await refreshWithBody(laptop.client, laptop.refreshToken);
    expectStatus(refreshed, 200);
    expectStatus(await me(laptop.client, refreshed.body.accessToken), 200);
    expect(await revokeReason(laptop.session.id)).toBeNull();

    await login(demo.baseUrl, laptop.email, NEW_PASSWORD);
    expectError(
      await new ApiClient(demo.baseUrl).post('/auth/login', {
        json: { email: laptop.email, password: DEFAULT_PASSWORD },
      }),
      401,
      'INVALID_CREDENTIALS',
    );
  });

  it('with keepOtherSessions: true the other sessions survive', async () => {
    const laptop = await register(demo.baseUrl, { deviceName: 'laptop' });
    const phone = await login(demo.baseUrl, laptop.email, laptop.password, { deviceName: 'phone' });
    expectStatus(await me(phone.client, phone.accessToken), 200);

    const changed = await changePassword(laptop, {
      currentPassword: DEFAULT_PASSWORD,
      newPassword: NEW_PASSWORD,
      keepOtherSessions: true,
    });
    expectStatus(changed, 204);

    expectStatus(await me(phone.client, phone.accessToken), 200);
    const refreshed = await refreshWithBody(phone.client, phone.refreshToken);
    expectStatus(refreshed, 200);
    expect(await revokeReason(phone.session.id)).toBeNull();
    expectStatus(await me(laptop.client, laptop.accessToken), 200);
    await login(demo.baseUrl, laptop.email, NEW_PASSWORD);
  });

  it('refuses a too short new password with 400 VALIDATION_FAILED', async () => {
    const laptop = await register(demo.baseUrl);
    const response = await changePassword(laptop, {
      currentPassword: DEFAULT_PASSWORD,
      newPassword: 'short',
    });
    expectError(response, 400, 'VALIDATION_FAILED');
    await login(demo.baseUrl, laptop.email, DEFAULT_PASSWORD);
  });
});

describe('DELETE /me (@RequireFreshSession(300))', () => {
  it('right after a sign-in: 204, and every token of the account then gets 401 SESSION_REVOKED', async () => {
    const laptop = await register(demo.baseUrl, { deviceName: 'laptop' });
    const phone = await login(demo.baseUrl, laptop.email, laptop.password, { deviceName: 'phone' });
    expectStatus(await me(phone.client, phone.accessToken), 200);

    const deleted = await laptop.client.delete('/me', { token: laptop.accessToken });
    expectStatus(deleted, 204);

    for (const device of [laptop, phone]) {
      expectError(await me(device.client, device.accessToken), 401, 'SESSION_REVOKED');
      expectError(
        await refreshWithBody(device.client, device.refreshToken),
        401,
        'SESSION_REVOKED',
      );
    }
    expectError(
      await new ApiClient(demo.baseUrl).post('/auth/login', {
        json: { email: laptop.email, password: laptop.password },
      }),
      401,
      'INVALID_CREDENTIALS',
    );
  });

  it('a session whose password sign-in is older than 300 s gets 401 SESSION_NOT_FRESH, other routes still work', async () => {
    const user = await register(demo.baseUrl);
    // A second sign-in whose token has not reached the guard yet. The guard caches session state
    // (in Redis and in process) on its first guarded request, so the sign-in time is made old in
    // the database BEFORE any guarded request with this token: what the guard then reads is the
    // aged row, exactly as for a session that signed in 301 s ago.
    const old = await login(demo.baseUrl, user.email, user.password, { deviceName: 'old sign-in' });
    await query(
      `UPDATE sessions SET authenticated_at = now() - interval '301 seconds' WHERE id = $1`,
      [old.session.id],
    );

    expectError(
      await old.client.delete('/me', { token: old.accessToken }),
      401,
      'SESSION_NOT_FRESH',
    );
    // Only the sensitive route asks for freshness; the account is still there.
    expectStatus(await me(old.client, old.accessToken), 200);
    expectStatus(await me(user.client, user.accessToken), 200);

    // A session signed in 299 s ago is still fresh enough (same trick, a new session).
    const recent = await login(demo.baseUrl, user.email, user.password, { deviceName: 'recent' });
    await query(
      `UPDATE sessions SET authenticated_at = now() - interval '299 seconds' WHERE id = $1`,
      [recent.session.id],
    );
    expectStatus(await recent.client.delete('/me', { token: recent.accessToken }), 204);
    expectError(await me(old.client, old.accessToken), 401, 'SESSION_REVOKED');
  });

  it('re-entering the password (POST /auth/password) makes a stale session fresh again', async () => {
    const user = await register(demo.baseUrl);
    const old = await login(demo.baseUrl, user.email, user.password, { deviceName: 'old sign-in' });
    await query(`UPDATE sessions SET authenticated_at = now() - interval '1 hour' WHERE id = $1`, [
      old.session.id,
    ]);
    expectError(
      await old.client.delete('/me', { token: old.accessToken }),
      401,
      'SESSION_NOT_FRESH',
    );

    expectStatus(
      await changePassword(old, {
        currentPassword: DEFAULT_PASSWORD,
        newPassword: NEW_PASSWORD,
        keepOtherSessions: true,
      }),
      204,
    );
    expectStatus(await old.client.delete('/me', { token: old.accessToken }), 204);
  });
});
