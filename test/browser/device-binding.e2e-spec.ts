import type { Browser } from 'playwright-core';
import { DEFAULT_PASSWORD, uniqueEmail } from '../support/auth.js';
import { type DemoProcess, startDemo } from '../support/demo-process.js';
import {
  alertWith,
  Device,
  deviceItem,
  devicesHeading,
  LIVE_MS,
  launchBrowser,
  liveUpdates,
  screenshot,
  signUp,
} from './browser-support.js';

// The page binds its session to a non-extractable device key in IndexedDB: the refresh cookie
// copied into another browser (a second context, without the key) is refused as theft, the first
// device is told and signed out, and the copy never yields an access token. The key survives a
// reload (restoring the session is a refresh that must prove it).

let demo: DemoProcess;
let browser: Browser;
const devices: Device[] = [];

beforeAll(async () => {
  [demo, browser] = await Promise.all([
    startDemo({ name: 'browser-device-binding' }),
    launchBrowser(),
  ]);
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await demo?.stop();
});

afterEach(() => {
  expect(devices.flatMap((d) => d.problems.splice(0))).toEqual([]);
});

async function device(): Promise<Device> {
  const opened = await Device.open(browser, demo.baseUrl);
  devices.push(opened);
  return opened;
}

it('shows the session bound, keeps the key over a reload, and refuses the copied cookie as theft', async () => {
  const laptop = await device();
  const page = await laptop.tab();
  await signUp(page, {
    name: 'Key Holder',
    email: uniqueEmail('bound'),
    password: DEFAULT_PASSWORD,
    device: 'Laptop',
  });
  await devicesHeading(page).waitFor();
  await deviceItem(page, 'Laptop').getByText('Bound', { exact: true }).waitFor();
  // Written as text: this file is type-checked without the DOM's types.
  const storedKeys = await page.evaluate(`(async () => {
    const db = await new Promise((resolve, reject) => {
      const open = indexedDB.open('nestjs-session-auth');
      open.onsuccess = () => resolve(open.result);
      open.onerror = () => reject(open.error);
    });
    const pairs = await new Promise((resolve) => {
      const all = db.transaction('device-keys').objectStore('device-keys').getAll();
      all.onsuccess = () => resolve(all.result);
    });
    return pairs.map((p) => [p.privateKey.extractable, p.privateKey.algorithm.name]);
  })()`);
  expect(storedKeys).toEqual([[false, 'ECDSA']]);

  // A reload restores the session: a refresh that must prove the key kept in IndexedDB.
  const refreshes: number[] = [];
  page.on('response', (r) => {
    if (new URL(r.url()).pathname === '/auth/refresh') refreshes.push(r.status());
  });
  const restored = page.waitForResponse(
    (r) => new URL(r.url()).pathname === '/auth/refresh' && r.status() === 200,
  );
  await page.reload();
  await restored;
  expect(refreshes).toEqual([200]); // the nonce the tabs share survived the reload too
  await devicesHeading(page).waitFor();
  await liveUpdates(page).waitFor({ timeout: LIVE_MS }); // the theft alert comes over it

  // A second browser gets the refresh cookie, but not the key.
  const [cookie] = (await laptop.context.cookies(`${demo.baseUrl}/auth/refresh`)).filter(
    (c) => c.name === 'refresh_token',
  );
  const thief = await device();
  await thief.context.addCookies([cookie]);
  const thiefPage = await thief.context.newPage();
  // Not the device page (its own restore would present the cookie first): a plain same-origin page.
  await thiefPage.goto(`${demo.baseUrl}/health/live`);
  const startedAt = Date.now();
  const stolen = await thiefPage.evaluate(async () => {
    const response = await fetch('/auth/refresh', { method: 'POST', credentials: 'include' });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  });

  expect(stolen.status).toBe(401);
  expect(stolen.body.code).toBe('REFRESH_TOKEN_REUSED');
  expect(stolen.body).not.toHaveProperty('accessToken');
  await alertWith(page, 'suspicious').waitFor({ timeout: LIVE_MS });
  expect(Date.now() - startedAt).toBeLessThan(LIVE_MS);
  await page.getByRole('button', { name: 'Sign in', exact: true }).waitFor();
  await screenshot(page, 'device-key-theft.png');

  // The session is gone: the laptop cannot come back with its own key either.
  const again = page.waitForResponse((r) => new URL(r.url()).pathname === '/auth/refresh');
  await page.reload();
  expect((await again).status()).toBe(401);
  await page.getByRole('button', { name: 'Sign in', exact: true }).waitFor();
});
