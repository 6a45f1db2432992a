import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { me, refreshWithBody, register } from '../support/auth.js';
import { query } from '../support/database.js';
import { type DemoProcess, REPO_ROOT, startDemos, stopDemos } from '../support/demo-process.js';
import { expectError, expectGraceRetry, expectStatus } from '../support/expect-http.js';
import { sleep } from '../support/timing.js';

// Security round 2, finding 10: one clock. Every lifetime and grace-window comparison uses the
// database's clock, so an app server whose clock is off by more than the grace window neither
// turns two tabs into "theft" nor stretches the window, and sessions get the lifetimes configured.
// Each instance here runs with a wall clock a minute off the database's (a preloaded Date).

const SKEW_MS = 60_000;
const IDLE_TTL_S = 30;
const ABSOLUTE_TTL_S = 3600;
const SKEWED_CLOCK = pathToFileURL(path.join(REPO_ROOT, 'test/support/skewed-clock.mjs')).href;

let ahead: DemoProcess;
let behind: DemoProcess;

function skewed(name: string, skewMs: number, graceSeconds: number) {
  return {
    name,
    env: {
      NODE_OPTIONS: `--import=${SKEWED_CLOCK}`,
      CLOCK_SKEW_MS: String(skewMs),
      REUSE_GRACE_SECONDS: String(graceSeconds),
      REFRESH_IDLE_TTL: String(IDLE_TTL_S),
      REFRESH_ABSOLUTE_TTL: String(ABSOLUTE_TTL_S),
    },
  };
}

beforeAll(async () => {
  [ahead, behind] = await startDemos(
    skewed('clock-ahead', SKEW_MS, 10),
    skewed('clock-behind', -SKEW_MS, 1),
  );
}, 60_000);

afterAll(async () => {
  await stopDemos(ahead, behind);
});

/** Seconds from the database's now() to the session's idle and absolute ends. */
async function lifetimesLeft(sessionId: string): Promise<{ idle: number; absolute: number }> {
  const [row] = await query<{ idle: number; absolute: number }>(
    `SELECT extract(epoch FROM idle_expires_at - now())::float AS idle,
            extract(epoch FROM absolute_expires_at - now())::float AS absolute
       FROM sessions WHERE id = $1`,
    [sessionId],
  );
  return row;
}

it('a clock a minute ahead: a retry inside the grace window is a retry, not theft', async () => {
  expect(ahead.output()).not.toMatch(/CLOCK_SKEW|Cannot find module/);
  const device = await register(ahead.baseUrl);
  const retry = await expectGraceRetry(device.client, device.refreshToken);
  expectStatus(await me(device.client, retry.body.accessToken), 200);
});

it('a clock a minute behind: the grace window is not stretched by the skew', async () => {
  const device = await register(behind.baseUrl);
  expectStatus(await refreshWithBody(device.client, device.refreshToken), 200);
  await sleep(1600);
  expectError(
    await refreshWithBody(device.client, device.refreshToken),
    401,
    'REFRESH_TOKEN_REUSED',
  );
});

for (const [which, skew] of [
  ['ahead', SKEW_MS],
  ['behind', -SKEW_MS],
] as const) {
  it(`a clock a minute ${which}: sign-in and refresh set the configured lifetimes on the database clock`, async () => {
    const demo = which === 'ahead' ? ahead : behind;
    const device = await register(demo.baseUrl);
    const created = await lifetimesLeft(device.session.id);
    expect(created.idle).toBeGreaterThan(IDLE_TTL_S - 5);
    expect(created.idle).toBeLessThanOrEqual(IDLE_TTL_S);
    expect(created.absolute).toBeGreaterThan(ABSOLUTE_TTL_S - 5);
    expect(created.absolute).toBeLessThanOrEqual(ABSOLUTE_TTL_S);
    expectStatus(await me(device.client, device.accessToken), 200);

    const refreshed = await refreshWithBody(device.client, device.refreshToken);
    expectStatus(refreshed, 200);
    const after = await lifetimesLeft(device.session.id);
    expect(after.idle).toBeGreaterThan(IDLE_TTL_S - 5);
    expect(after.idle).toBeLessThanOrEqual(IDLE_TTL_S);
    expectStatus(await me(device.client, refreshed.body.accessToken), 200);
    // The refresh cookie's Max-Age is the remaining absolute lifetime, whatever the app's clock.
    const maxAge = refreshed.cookies.refresh_token?.maxAge ?? NaN;
    expect(Math.abs(maxAge - after.absolute)).toBeLessThanOrEqual(5);
    expect(skew).not.toBe(0);
  });
}
