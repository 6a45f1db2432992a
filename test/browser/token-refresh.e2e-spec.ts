import type { Browser, Page } from 'playwright-core';
import { DEFAULT_PASSWORD, uniqueEmail } from '../support/auth.js';
import { type DemoProcess, startDemo } from '../support/demo-process.js';
import { eventually, sleep } from '../support/timing.js';
import {
  alertWith,
  Device,
  deviceItem,
  devicesHeading,
  LIVE_MS,
  launchBrowser,
  liveUpdates,
  markNoReload,
  signIn,
  signUp,
} from './browser-support.js';

// A page kept open well past its access token's lifetime (3 s here), in two tabs of one browser.

const TTL_S = 3;
/** How long the server is held busy while the storm leaves the browser (POST /bench/busy). */
const BUSY_MS = 800;

let demo: DemoProcess;
let browser: Browser;
const devices: Device[] = [];

const account = { name: 'Grace Hopper', email: uniqueEmail('grace'), password: DEFAULT_PASSWORD };
const DESK = 'Desk';

let desk: Device;
let tab1: Page;
let tab2: Page;

interface RefreshSeen {
  at: number;
  status: number;
  /** Sent by the test's storm, not by the page. */
  storm: boolean;
}
const refreshes: RefreshSeen[] = [];

beforeAll(async () => {
  [demo, browser] = await Promise.all([
    // Unbound sessions: the storm below is raw fetches without a device proof, which a bound
    // session refuses as theft by design (bound grace retries: test/device-binding).
    // BENCH_ROUTES: POST /bench/busy holds the server while the storm leaves the browser.
    startDemo({
      name: 'browser-tokens',
      env: { ACCESS_TOKEN_TTL: String(TTL_S), DEVICE_BINDING: 'off', BENCH_ROUTES: '1' },
    }),
    launchBrowser(),
  ]);
}, 45_000);

afterAll(async () => {
  await browser?.close();
  await demo?.stop();
});

afterEach(() => {
  expect(devices.flatMap((d) => d.problems.splice(0))).toEqual([]);
});

async function open(): Promise<Device> {
  const device = await Device.open(browser, demo.baseUrl);
  devices.push(device);
  return device;
}

/** Neither tab shows an alert, and both still show the signed-in page. */
async function bothStillSignedIn(): Promise<void> {
  for (const tab of [tab1, tab2]) {
    expect(await devicesHeading(tab).isVisible()).toBe(true);
    expect(await tab.getByRole('alert').count()).toBe(0);
    expect(await tab.getByLabel('Password', { exact: true }).count()).toBe(0);
  }
}

it('two tabs stay signed in over several token lifetimes, refreshing about once per lifetime together', async () => {
  desk = await open();
  tab1 = await desk.tab();
  await signUp(tab1, { ...account, device: DESK });
  await devicesHeading(tab1).waitFor();
  // The second tab restores the session from the refresh cookie (or takes the first tab's token).
  tab2 = await desk.tab();
  await devicesHeading(tab2).waitFor();
  await deviceItem(tab2, DESK).getByText('This device', { exact: true }).waitFor();
  const notReloaded = [await markNoReload(tab1), await markNoReload(tab2)];

  desk.context.on('response', (response) => {
    if (new URL(response.url()).pathname !== '/auth/refresh') return;
    const storm = response.request().headers()['x-storm'] === '1';
    refreshes.push({ at: Date.now(), status: response.status(), storm });
  });

  const started = Date.now();
  // Past two lifetimes, with at least three refreshes answered.
  await eventually(
    async () => {
      expect(Date.now() - started).toBeGreaterThan(TTL_S * 2_000);
      expect(refreshes.filter((r) => r.status === 200).length).toBeGreaterThanOrEqual(3);
    },
    { timeoutMs: TTL_S * 5_000, intervalMs: 250 },
  );
  await bothStillSignedIn();
  expect(refreshes.filter((r) => r.status !== 200)).toEqual([]);
  // A refresh is due every lifetime minus 1 s (2 s here); the tabs share it instead of one each.
  const lifetimes = (Date.now() - started) / (TTL_S * 1000);
  console.log(
    `page refreshes in ${lifetimes.toFixed(1)} token lifetimes, two tabs: ${refreshes.length}`,
  );
  expect(refreshes.length).toBeLessThanOrEqual(Math.ceil(lifetimes * 1.5) + 2);
  for (const check of notReloaded) expect(await check()).toBe(true);
});

it('a refresh storm from both tabs at once, on a busy server, signs nobody out', async () => {
  // Ten uncoordinated refreshes with the same cookie, five per tab, beside the page's own: the
  // server's grace window gives every retry the same successor. The browser attaches the cookie
  // as each request starts, so a request started after the first answer would carry the successor
  // and rotate the chain on; storm requests still undecided would then present a token two
  // generations old, which is reuse by design (docs/security.md, finding 8;
  // test/security-core/grace-chain.e2e-spec.ts). So the server is held busy while the storm
  // leaves both tabs (a loaded instance: no answer comes back meanwhile), and the storm starts
  // right after one of the page's own refreshes, a lifetime minus 1 s before its next one.
  const pageRefreshes = () => refreshes.filter((r) => !r.storm && r.status === 200).length;
  const seen = pageRefreshes();
  await eventually(async () => expect(pageRefreshes()).toBeGreaterThan(seen), {
    timeoutMs: TTL_S * 2_000,
    intervalMs: 10,
  });
  const sentCookies: Promise<string | null>[] = [];
  desk.context.on('request', (request) => {
    if (request.headers()['x-storm'] === '1') sentCookies.push(request.headerValue('cookie'));
  });
  const busy = fetch(`${demo.baseUrl}/bench/busy?ms=${BUSY_MS}`, { method: 'POST' });
  await sleep(100); // the busy request reaches the server first
  const storm = (n: number) =>
    Promise.all(
      Array.from({ length: n }, () =>
        fetch('/auth/refresh', {
          method: 'POST',
          credentials: 'same-origin',
          headers: { 'x-storm': '1' },
        }).then((r) => r.status),
      ),
    );
  const statuses = await Promise.all([tab1.evaluate(storm, 5), tab2.evaluate(storm, 5)]);
  expect((await busy).status).toBe(201);
  // The premise: all ten left the browser with one cookie.
  expect(new Set(await Promise.all(sentCookies)).size).toBe(1);
  expect(statuses.flat()).toEqual(Array(10).fill(200));

  // More of the page's own refreshes, on whatever cookie the storm left behind.
  const after = Date.now();
  await eventually(
    async () => {
      expect(Date.now() - after).toBeGreaterThan(TTL_S * 1_000);
      expect(
        refreshes.filter((r) => !r.storm && r.at > after && r.status === 200).length,
      ).toBeGreaterThanOrEqual(2);
    },
    { timeoutMs: TTL_S * 5_000, intervalMs: 250 },
  );
  expect(refreshes.filter((r) => r.status !== 200)).toEqual([]);
  await bothStillSignedIn();
});

it('after all that, both tabs still act with a valid token and hear live events', async () => {
  const probe = await open();
  const probeTab = await probe.tab();
  await signIn(probeTab, { ...account, device: 'Probe' });
  await devicesHeading(probeTab).waitFor();
  // The sockets outlived many access tokens and still deliver.
  await deviceItem(tab1, 'Probe').waitFor({ timeout: LIVE_MS });
  await deviceItem(tab2, 'Probe').waitFor({ timeout: LIVE_MS });
  await liveUpdates(probeTab).waitFor({ timeout: LIVE_MS }); // its sign-out is told over it

  // A DELETE needs a current access token. (That the other tab's list drops Probe too is
  // SESSIONS_UPDATED after a termination: see device-page.e2e-spec.ts.)
  await tab2.getByRole('button', { name: 'Sign out Probe', exact: true }).click();
  await deviceItem(tab2, 'Probe').waitFor({ state: 'detached', timeout: LIVE_MS });
  await alertWith(probeTab, 'signed out from another device').waitFor({ timeout: LIVE_MS });
  expect(await tab2.getByRole('alert').count()).toBe(0);

  // The cookie chain is intact: a reload restores the session.
  await tab1.reload();
  await devicesHeading(tab1).waitFor();
  await bothStillSignedIn();
  expect(refreshes.filter((r) => r.status !== 200)).toEqual([]);
});

it('after a network loss longer than a token lifetime, the socket reconnects with a current token', async () => {
  await desk.context.setOffline(true);
  await tab1
    .locator('.live[data-status="reconnecting"]')
    .waitFor({ timeout: 5_000 })
    .catch(() => undefined);
  await tab1.waitForTimeout(TTL_S * 1_000 + 200); // whatever token the socket had is now expired
  await desk.context.setOffline(false);
  for (const tab of [tab1, tab2])
    await tab.locator('.live[data-status="live"]').waitFor({ timeout: 10_000 });

  const probe = await open();
  const probeTab = await probe.tab();
  await signIn(probeTab, { ...account, device: 'Probe 2' });
  await deviceItem(tab1, 'Probe 2').waitFor({ timeout: LIVE_MS });
  await deviceItem(tab2, 'Probe 2').waitFor({ timeout: LIVE_MS });
  await bothStillSignedIn();
});

it('tabs follow each other: sign out in one, the other follows; sign in again, both are back', async () => {
  // The user switches to the first tab (a background tab gets no animation frames, which slows
  // down playwright's actionability checks, not the page).
  await tab1.bringToFront();
  await tab1.getByRole('button', { name: 'Sign out of this device', exact: true }).click();
  await tab1.getByRole('status').filter({ hasText: 'You signed out of this device.' }).waitFor();
  await tab2
    .getByRole('status')
    .filter({ hasText: 'You signed out in another tab.' })
    .waitFor({ timeout: LIVE_MS });
  expect(await tab2.getByRole('alert').count()).toBe(0);

  await signIn(tab1, { ...account, device: DESK });
  await devicesHeading(tab1).waitFor();
  await devicesHeading(tab2).waitFor({ timeout: LIVE_MS });
  await deviceItem(tab2, DESK).getByText('This device', { exact: true }).waitFor();
});
