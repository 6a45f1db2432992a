import { copyFileSync } from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { DEFAULT_PASSWORD, uniqueEmail } from '../support/auth.js';
import { type DemoProcess, REPO_ROOT, startDemo } from '../support/demo-process.js';
import {
  alertWith,
  Device,
  deviceItem,
  deviceList,
  devicesHeading,
  LIVE_MS,
  launchBrowser,
  markNoReload,
  screenshot,
  liveUpdates,
  signIn,
  signUp,
  USER_AGENTS,
} from './browser-support.js';

// Two (then three) browser contexts are two (three) devices of one user, against a real demo.

let demo: DemoProcess;
let browser: Browser;
const devices: Device[] = [];

const account = { name: 'Ada Lovelace', email: uniqueEmail('ada'), password: DEFAULT_PASSWORD };
const LAPTOP = 'Work laptop';
const PHONE = 'iPhone';
const DESKTOP = 'Home PC';

let laptop: Page;
let phone: Page;

beforeAll(async () => {
  [demo, browser] = await Promise.all([startDemo({ name: 'browser-devices' }), launchBrowser()]);
}, 45_000);

afterAll(async () => {
  await browser?.close();
  await demo?.stop();
});

afterEach(() => {
  // An uncaught error or a CSP refusal in any page fails the test it happened in.
  const problems = devices.flatMap((d) => d.problems.splice(0));
  expect(problems).toEqual([]);
});

async function device(options: Parameters<typeof Device.open>[2] = {}): Promise<Page> {
  const opened = await Device.open(browser, demo.baseUrl, options);
  devices.push(opened);
  return opened.tab();
}

it('A signs up, B signs in: A’s list shows B within 2 s, without a reload', async () => {
  laptop = await device({ userAgent: USER_AGENTS.macChrome });
  await signUp(laptop, { ...account, device: LAPTOP });
  await devicesHeading(laptop).waitFor();
  await deviceItem(laptop, LAPTOP).getByText('This device', { exact: true }).waitFor();
  const notReloaded = await markNoReload(laptop);

  phone = await device({
    userAgent: USER_AGENTS.iphone,
    viewport: { width: 390, height: 844 },
    isMobile: true,
  });
  await signIn(phone, { ...account, device: PHONE });
  await devicesHeading(phone).waitFor();

  const phoneOnLaptop = deviceItem(laptop, PHONE);
  await phoneOnLaptop.waitFor({ timeout: LIVE_MS });
  expect(await notReloaded()).toBe(true);

  // The row: device name, browser and OS (parsed by the server), IP, signed-in time, last active.
  const row = await phoneOnLaptop.innerText();
  expect(row).toContain('Mobile Safari 18');
  expect(row).toContain('iOS 18.5');
  expect(row).toContain('127.0.0.1');
  expect(row).toMatch(/Signed in\s+\w{3} \d{1,2}, \d{4}/);
  expect(row).toMatch(/Last active\s+(just now|\d+ minutes? ago)/);
  expect(row).not.toContain('This device');
  // The current device has the badge and no "Sign out <name>" button of its own.
  await deviceItem(phone, PHONE).getByText('This device', { exact: true }).waitFor();
  expect(
    await laptop.getByRole('button', { name: `Sign out ${LAPTOP}`, exact: true }).count(),
  ).toBe(0);
  await laptop.getByRole('button', { name: `Sign out ${PHONE}`, exact: true }).waitFor();

  // The access token lives in memory only; the refresh cookie is out of reach of page scripts.
  // Local storage holds one thing: the server's last proof nonce (public, shared by the tabs).
  for (const page of [laptop, phone]) {
    const stored = await page.evaluate(() => {
      const g = globalThis as any;
      return {
        local: Object.keys(g.localStorage),
        session: g.sessionStorage.length,
        cookie: g.document.cookie,
      };
    });
    expect(stored.session).toBe(0);
    expect(stored.cookie).toBe('');
    expect(
      stored.local.every((key: string) => key.startsWith('nestjs-session-auth:dpop-nonce:')),
    ).toBe(true);
  }

  await screenshot(laptop, 'device-list.png');
  await screenshot(phone, 'device-list-phone.png');
});

it('A signs out B: B shows the signed-out message within 2 s and A’s list drops B', async () => {
  await liveUpdates(phone).waitFor({ timeout: LIVE_MS });
  await laptop.getByRole('button', { name: `Sign out ${PHONE}`, exact: true }).click();

  await alertWith(phone, 'signed out from another device').waitFor({ timeout: LIVE_MS });
  await phone.getByRole('button', { name: 'Sign in', exact: true }).waitFor();
  await deviceItem(laptop, PHONE).waitFor({ state: 'detached', timeout: LIVE_MS });
  await screenshot(phone, 'signed-out.png');

  // A stays signed in, with only itself left.
  expect(await deviceList(laptop).getByRole('listitem').count()).toBe(1);
  await devicesHeading(laptop).waitFor();
  // B's cookie belongs to an ended session: a reload does not bring it back.
  await phone.reload();
  await phone.getByRole('button', { name: 'Sign in', exact: true }).waitFor();
  expect(await devicesHeading(phone).count()).toBe(0);
});

it('“Sign out all other devices” on A ends B and a third device C', async () => {
  await signIn(phone, { ...account, device: PHONE });
  await devicesHeading(phone).waitFor();
  const desktop = await device({ userAgent: USER_AGENTS.windowsFirefox });
  await signIn(desktop, { ...account, device: DESKTOP });
  await devicesHeading(desktop).waitFor();
  await deviceItem(laptop, PHONE).waitFor({ timeout: LIVE_MS });
  await deviceItem(laptop, DESKTOP).waitFor({ timeout: LIVE_MS });
  await deviceItem(phone, DESKTOP).waitFor({ timeout: LIVE_MS });
  await liveUpdates(desktop).waitFor({ timeout: LIVE_MS });

  if (process.env.UPDATE_DOCS_SCREENSHOT) {
    // `UPDATE_DOCS_SCREENSHOT=1` refreshes the README's picture: three devices, 1200 px wide.
    await laptop.mouse.move(0, 0);
    const file = await screenshot(laptop, 'device-page.png');
    copyFileSync(file, path.join(REPO_ROOT, 'docs/device-page.png'));
  }

  await laptop.getByRole('button', { name: 'Sign out all other devices', exact: true }).click();

  for (const page of [phone, desktop]) {
    await alertWith(page, 'signed out from another device').waitFor({ timeout: LIVE_MS });
    await page.getByLabel('Email', { exact: true }).waitFor();
  }
  await deviceItem(laptop, PHONE).waitFor({ state: 'detached', timeout: LIVE_MS });
  await deviceItem(laptop, DESKTOP).waitFor({ state: 'detached', timeout: LIVE_MS });
  expect(await deviceList(laptop).getByRole('listitem').count()).toBe(1);
  await deviceItem(laptop, LAPTOP).getByText('This device', { exact: true }).waitFor();
});

it('works by keyboard alone at phone width: sign in, then “Sign out of this device”', async () => {
  const page = await device({
    viewport: { width: 360, height: 740 },
    isMobile: true,
    hasTouch: true,
  });
  // The sign-in form opens with the focus in Email; Tab walks the form in order.
  await page.keyboard.type(account.email);
  await page.keyboard.press('Tab');
  await page.keyboard.type(account.password);
  await page.keyboard.press('Tab');
  await page.keyboard.type('Keyboard phone');
  await page.keyboard.press('Enter');
  await devicesHeading(page).waitFor();
  await deviceItem(page, LAPTOP).waitFor();

  const noSideways = await page.evaluate(() => {
    const root = (globalThis as any).document.documentElement;
    return root.scrollWidth <= root.clientWidth;
  });
  expect(noSideways).toBe(true);

  // Every button is reachable with Tab: walk forward until "Sign out of this device" has focus.
  const reached: string[] = [];
  for (let i = 0; i < 20 && !reached.includes('Sign out of this device'); i++) {
    await page.keyboard.press('Tab');
    reached.push(
      await page.evaluate(() => (globalThis as any).document.activeElement?.textContent ?? ''),
    );
  }
  expect(reached).toContain(`Sign out ${LAPTOP}`);
  expect(reached).toContain('Sign out all other devices');
  expect(reached).toContain('Sign out of this device');
  await screenshot(page, 'device-list-keyboard-phone.png');

  await page.keyboard.press('Enter');
  await page.getByRole('status').filter({ hasText: 'You signed out of this device.' }).waitFor();
  await page.getByRole('button', { name: 'Sign in', exact: true }).waitFor();
});

it('a device signed out from A also disappears from B’s list within 2 s (SESSIONS_UPDATED)', async () => {
  // Only the pushed list can tell B: A's DELETE answers A alone.
  await signIn(phone, { ...account, device: PHONE });
  await devicesHeading(phone).waitFor();
  const tablet = await device();
  await signIn(tablet, { ...account, device: 'Tablet' });
  await deviceItem(phone, 'Tablet').waitFor({ timeout: LIVE_MS });
  await deviceItem(laptop, 'Tablet').waitFor({ timeout: LIVE_MS });
  await liveUpdates(tablet).waitFor({ timeout: LIVE_MS });

  await laptop.getByRole('button', { name: 'Sign out Tablet', exact: true }).click();
  await alertWith(tablet, 'signed out from another device').waitFor({ timeout: LIVE_MS });
  await deviceItem(laptop, 'Tablet').waitFor({ state: 'detached', timeout: LIVE_MS });
  await deviceItem(phone, 'Tablet').waitFor({ state: 'detached', timeout: LIVE_MS });
});
