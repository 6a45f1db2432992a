import { refreshCookieOf, refreshWithBody, register } from '../support/auth.js';
import { cleanupRuns } from '../support/demo-logs.js';
import { type DemoProcess, startDemo } from '../support/demo-process.js';
import { expectError, expectStatus } from '../support/expect-http.js';
import { createScratchDatabase, type ScratchDatabase } from '../support/scratch-database.js';
import { eventually } from '../support/timing.js';
import { refreshGeneration } from '../support/database.js';

// Security round 2, finding 11: a spent refresh token must raise reuse for as long as its session
// could live. Tokens are derived from the session row's generation (nothing per token is stored),
// so what must survive is the row: the cleanup must not delete a live session's row, and a
// retention shorter than the absolute lifetime plus the grace window is refused at start-up.

let database: ScratchDatabase;
let demo: DemoProcess;

beforeAll(async () => {
  // A database of its own: the cleanup acts on every row it finds.
  database = await createScratchDatabase('retention');
  demo = await startDemo({
    name: 'spent-token-retention',
    env: {
      DATABASE_URL: database.url,
      CLEANUP_CRON: '* * * * * *',
      REFRESH_IDLE_TTL: '30d',
      REFRESH_ABSOLUTE_TTL: '30d',
      REUSE_GRACE_SECONDS: '1',
    },
  });
}, 60_000);

afterAll(async () => {
  await demo?.stop();
  await database?.drop();
});

it('a token spent 8 days ago in a 30-day session survives the cleanup and still raises reuse', async () => {
  const device = await register(demo.baseUrl);
  const stolen = device.refreshToken;
  const rotated = await refreshWithBody(device.client, stolen);
  expectStatus(rotated, 200);

  // Eight days pass for this session (the default retention used to be 7 days).
  await database.query(
    `UPDATE sessions SET created_at = created_at - interval '8 days',
            authenticated_at = authenticated_at - interval '8 days',
            absolute_expires_at = absolute_expires_at - interval '8 days'
      WHERE id = $1`,
    [device.session.id],
  );
  await database.query(
    `UPDATE sessions SET rotated_at = rotated_at - interval '8 days' WHERE id = $1`,
    [device.session.id],
  );
  const backdatedAt = Date.now();
  await eventually(
    async () =>
      expect(cleanupRuns(demo.output()).some((run) => run.started > backdatedAt)).toBe(true),
    { timeoutMs: 10_000, intervalMs: 200 },
  );

  // What reuse detection needs is the session row itself (its live generation): still there.
  expect(await refreshGeneration(device.session.id, database)).toBe(1);
  expectError(await refreshWithBody(device.client, stolen), 401, 'REFRESH_TOKEN_REUSED');
  expectError(
    await refreshWithBody(device.client, refreshCookieOf(rotated)),
    401,
    'SESSION_REVOKED',
  );
});

it('refuses to start when the retention is shorter than the absolute lifetime', async () => {
  const started = startDemo({
    name: 'spent-token-retention-short',
    env: { CLEANUP_RETENTION: '7d', REFRESH_ABSOLUTE_TTL: '30d' },
  });
  const stopIfStarted = started.then((demo) => demo.stop()).catch(() => undefined);
  await expect(started).rejects.toThrow(/cleanupRetention/);
  await stopIfStarted;
});
