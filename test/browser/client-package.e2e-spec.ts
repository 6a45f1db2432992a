import type { Browser, Page } from 'playwright-core';
import { DEFAULT_PASSWORD, uniqueEmail } from '../support/auth.js';
import { type DemoProcess, startDemo } from '../support/demo-process.js';
import { eventually, sleep } from '../support/timing.js';
import { Device, LIVE_MS, launchBrowser } from './browser-support.js';
import { clientLog, clientState, harnessTab, serveClientHarness } from './client-harness.js';

// nestjs-session-auth-client itself (its built dist/) in Chromium against the real demo, with a
// 2 s access token: tabs of one browser share refreshes, survive going offline, and hear when
// another browser signs their device out.

const TTL_S = 2;
const CALLS_FOR_MS = 30_000;
const OFFLINE_MS = 5_000;

let demo: DemoProcess;
let browser: Browser;
const devices: Device[] = [];
const account = { name: 'Tab Keeper', email: uniqueEmail('tabs'), password: DEFAULT_PASSWORD };

let desk: Device;
let tabs: Page[] = [];
const refreshes: { status: number; code?: string }[] = [];

beforeAll(async () => {
  [demo, browser] = await Promise.all([
    startDemo({ name: 'browser-client', env: { ACCESS_TOKEN_TTL: String(TTL_S) } }),
    // The harness page is served by playwright, so Chromium cannot tell it comes from loopback,
    // and its Local Network Access checks would refuse its WebSocket to the demo on 127.0.0.1
    // (the device page, served by the demo itself, is not affected).
    launchBrowser(['--disable-features=LocalNetworkAccessChecks']),
  ]);
}, 45_000);

afterAll(async () => {
  await browser?.close();
  await demo?.stop();
});

async function open(): Promise<Device> {
  const device = await Device.open(browser, demo.baseUrl);
  devices.push(device);
  await serveClientHarness(device.context, demo.baseUrl);
  return device;
}

/** Calls GET /me through the tab's client every 100 ms for a while; counts the outcomes. */
function callsFor(tab: Page, ms: number): Promise<Record<string, number>> {
  return tab.evaluate(async (ms) => {
    const { client } = (globalThis as any).harness;
    const outcomes: Record<string, number> = {};
    const end = Date.now() + ms;
    while (Date.now() < end) {
      const outcome = await client.fetch('/me').then(
        (response: Response) => String(response.status),
        (error: { code?: string }) => error.code ?? 'fetch failed',
      );
      outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    return outcomes;
  }, ms);
}

async function signedOutEvents(): Promise<unknown[]> {
  return (await Promise.all(tabs.map(clientLog))).flatMap((log) => log.signedOut);
}

it('three tabs with a 2 s access token keep working through 30 s of API calls, sharing refreshes', async () => {
  desk = await open();
  desk.context.on('response', async (response) => {
    if (new URL(response.url()).pathname !== '/auth/refresh') return;
    const code = response.ok()
      ? undefined
      : ((await response.json().catch(() => ({}))) as { code?: string }).code;
    refreshes.push({ status: response.status(), code });
  });
  const first = await harnessTab(desk.context, demo.baseUrl);
  await first.evaluate((body) => (globalThis as any).harness.client.signUp(body), {
    ...account,
    deviceName: 'Desk',
  });
  tabs = [
    first,
    await harnessTab(desk.context, demo.baseUrl),
    await harnessTab(desk.context, demo.baseUrl),
  ];
  const states = await Promise.all(tabs.map(clientState));
  expect(states.map((s) => s.status)).toEqual(['signed-in', 'signed-in', 'signed-in']);
  expect(new Set(states.map((s) => s.sessionId)).size).toBe(1);

  const before = refreshes.length;
  const outcomes = await Promise.all(tabs.map((tab) => callsFor(tab, CALLS_FOR_MS)));
  const during = refreshes.slice(before);

  // Every call answered 200 (an expired token is refreshed and the call retried inside fetch).
  for (const outcome of outcomes) expect(Object.keys(outcome)).toEqual(['200']);
  expect(refreshes.filter((r) => r.code === 'REFRESH_TOKEN_REUSED')).toEqual([]);
  expect(during.filter((r) => r.status !== 200)).toEqual([]);
  expect(await signedOutEvents()).toEqual([]);
  const expiries = CALLS_FOR_MS / (TTL_S * 1000);
  const calls = outcomes.reduce((sum, o) => sum + o['200'], 0);
  console.log(
    `client, 3 tabs, ${TTL_S} s tokens, ${CALLS_FOR_MS / 1000} s: ${calls} calls, ` +
      `${during.length} refreshes (tabs x expiries = ${tabs.length * expiries})`,
  );
  expect(during.length).toBeLessThan(tabs.length * expiries);
}, 90_000);

it('offline for 5 s and back: the tabs recover without a sign-out', async () => {
  await desk.context.setOffline(true);
  const whileOffline = Promise.all(tabs.map((tab) => callsFor(tab, OFFLINE_MS)));
  await sleep(OFFLINE_MS);
  await desk.context.setOffline(false);
  const backOnline = Date.now();
  const offlineOutcomes = await whileOffline;
  // The calls really met a network without a server.
  expect(offlineOutcomes.some((o) => Object.keys(o).some((key) => key !== '200'))).toBe(true);

  await eventually(
    async () => {
      for (const tab of tabs) {
        expect(await clientState(tab)).toMatchObject({ status: 'signed-in' });
        expect((await clientLog(tab)).connection.at(-1)?.payload).toBe('live');
        expect(
          await tab.evaluate(() =>
            (globalThis as any).harness.client.fetch('/me').then((r: Response) => r.status),
          ),
        ).toBe(200);
      }
    },
    { timeoutMs: 10_000, intervalMs: 250 },
  );
  console.log(
    `client: 3 tabs live and signed in ${Date.now() - backOnline} ms after the network returned`,
  );
  expect(await signedOutEvents()).toEqual([]);
  expect(refreshes.filter((r) => r.code === 'REFRESH_TOKEN_REUSED')).toEqual([]);
}, 60_000);

it('a device signed out from another browser context is told within 2 s', async () => {
  const phone = await open();
  const phoneTab = await harnessTab(phone.context, demo.baseUrl);
  await phoneTab.evaluate((body) => (globalThis as any).harness.client.signIn(body), {
    email: account.email,
    password: account.password,
    deviceName: 'Phone',
  });
  const deskSession = (await clientState(tabs[0])).sessionId as string;
  const listed = await phoneTab.evaluate(() => (globalThis as any).harness.client.sessions());
  expect(
    listed.map((s: { id: string; current: boolean }) => [s.id === deskSession, s.current]),
  ).toEqual(
    expect.arrayContaining([
      [true, false],
      [false, true],
    ]),
  );
  // The desk's sockets are live (the sign-out is told over them).
  for (const tab of tabs) {
    await tab.waitForFunction(
      () => (globalThis as any).harness.log.connection.at(-1)?.payload === 'live',
    );
  }

  const startedAt = await phoneTab.evaluate(async (id) => {
    const at = Date.now();
    await (globalThis as any).harness.client.signOutDevice(id);
    return at;
  }, deskSession);
  for (const tab of tabs) {
    await tab.waitForFunction(() => (globalThis as any).harness.log.signedOut.length > 0, null, {
      timeout: LIVE_MS,
    });
  }
  const told = await signedOutEvents();
  expect(told.map((e: any) => e.payload)).toEqual(
    tabs.map(() => ({ reason: 'TERMINATED', sessionId: deskSession })),
  );
  const slowest = Math.max(...told.map((e: any) => e.at - startedAt));
  console.log(
    `client: 3 tabs told of their sign-out from another browser after ${slowest} ms at most`,
  );
  expect(slowest).toBeLessThan(LIVE_MS);
  for (const tab of tabs)
    expect(await clientState(tab)).toEqual({ status: 'signed-out', reason: 'TERMINATED' });
  expect(await clientState(phoneTab)).toMatchObject({ status: 'signed-in' });
});

// Issue 19 L1: a sign-out that cannot reach the server must not leave the session open. Before,
// the client swallowed the failed logout and the next restore() (a reload) was signed in again.
it('a sign-out made offline is sent before the next restore(): the session ends, no sign-in again', async () => {
  const kiosk = await open();
  const kioskTab = await harnessTab(kiosk.context, demo.baseUrl);
  const visitor = { name: 'Visitor', email: uniqueEmail('kiosk'), password: DEFAULT_PASSWORD };
  await kioskTab.evaluate((body) => (globalThis as any).harness.client.signUp(body), {
    ...visitor,
    deviceName: 'Kiosk',
  });
  const kioskSession = (await clientState(kioskTab)).sessionId as string;

  await kiosk.context.setOffline(true);
  await kioskTab.evaluate(() => (globalThis as any).harness.client.signOut());
  expect(await clientState(kioskTab)).toEqual({
    status: 'signed-out',
    reason: 'LOGOUT',
    signOutPending: true,
  });

  // The tab is closed (a shared computer's browser window); back online, the next page load's
  // restore() ends the session with the cookie alone.
  await kioskTab.close();
  const logouts: string[] = [];
  kiosk.context.on('request', (request) => {
    if (new URL(request.url()).pathname === '/auth/logout')
      logouts.push(request.headers().authorization ?? 'no token');
  });
  await kiosk.context.setOffline(false);
  const reloaded = await harnessTab(kiosk.context, demo.baseUrl);
  expect(await clientState(reloaded)).toEqual({ status: 'signed-out' });
  expect(logouts).toEqual(['no token']);

  const phone = await open();
  const phoneTab = await harnessTab(phone.context, demo.baseUrl);
  await phoneTab.evaluate((body) => (globalThis as any).harness.client.signIn(body), {
    email: visitor.email,
    password: visitor.password,
    deviceName: 'Phone',
  });
  const listed = await phoneTab.evaluate(() => (globalThis as any).harness.client.sessions());
  expect(listed.map((s: { id: string }) => s.id)).not.toContain(kioskSession);
});
