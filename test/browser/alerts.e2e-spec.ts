import type { Browser, Page } from 'playwright-core';
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
  signIn,
  signUp,
} from './browser-support.js';

// What the page says when something goes wrong: form errors, rate limiting, token theft.

const LOGIN_LIMIT = 3;
const GRACE_S = 1;

let demo: DemoProcess;
let browser: Browser;
const devices: Device[] = [];

beforeAll(async () => {
  [demo, browser] = await Promise.all([
    startDemo({
      name: 'browser-alerts',
      env: { RATE_LIMIT_LOGIN: String(LOGIN_LIMIT), REUSE_GRACE_SECONDS: String(GRACE_S) },
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

async function tab(): Promise<Page> {
  const device = await Device.open(browser, demo.baseUrl);
  devices.push(device);
  return device.tab();
}

it('sign-up and sign-in errors appear in an alert: validation, email taken, wrong password', async () => {
  const page = await tab();
  const email = uniqueEmail('errors');

  await signUp(page, { name: 'Short', email, password: 'short' });
  await alertWith(page, 'password must be at least 8 characters').waitFor();

  await page.getByLabel('Password', { exact: true }).fill(DEFAULT_PASSWORD);
  await page.getByRole('button', { name: 'Create account', exact: true }).click();
  await devicesHeading(page).waitFor();
  await page.getByRole('button', { name: 'Sign out of this device', exact: true }).click();
  await page.getByRole('button', { name: 'Sign in', exact: true }).waitFor();

  await signUp(page, { name: 'Again', email, password: DEFAULT_PASSWORD });
  await alertWith(page, 'An account with this email already exists.').waitFor();

  await page.getByRole('button', { name: 'I already have an account', exact: true }).click();
  await signIn(page, { email: uniqueEmail('nobody'), password: 'wrong password' });
  await alertWith(page, 'Email or password is wrong.').waitFor();
  expect(await page.getByRole('alert').count()).toBe(1);
});

it('too many sign-in attempts: the alert says to wait', async () => {
  const page = await tab();
  const email = uniqueEmail('limited');
  const attempt = async (password: string): Promise<number> => {
    const answered = page.waitForResponse((r) => new URL(r.url()).pathname === '/auth/login');
    await signIn(page, { email, password });
    return (await answered).status();
  };
  for (let n = 1; n <= LOGIN_LIMIT; n++) {
    expect(await attempt(`wrong ${n}`)).toBe(401);
    await alertWith(page, 'Email or password is wrong.').waitFor();
  }
  expect(await attempt('wrong again')).toBe(429);
  await alertWith(page, /Too many attempts\. Try again in \d+ seconds?\./).waitFor();
  await screenshot(page, 'rate-limited.png');
});

it('a copied refresh cookie: the other device warns of suspicious activity, the victim is signed out', async () => {
  const account = { name: 'Eve Target', email: uniqueEmail('theft'), password: DEFAULT_PASSWORD };
  const laptop = await tab();
  await signUp(laptop, { ...account, device: 'Laptop' });
  await devicesHeading(laptop).waitFor();
  const phoneDevice = await Device.open(browser, demo.baseUrl);
  devices.push(phoneDevice);
  const phone = await phoneDevice.tab();
  await signIn(phone, { ...account, device: 'Phone' });
  await deviceItem(laptop, 'Phone').waitFor({ timeout: LIVE_MS });
  // The phone is told over its socket: a phone still connecting would learn only that it is
  // signed out (its handshake and refresh find the session ended), not why.
  await liveUpdates(phone).waitFor({ timeout: LIVE_MS });

  // A thief copies the phone's refresh cookie and uses it. The page binds its sessions to a
  // device key, so the copy without that key is theft at once (test/browser/device-binding).
  const stolen = (await phoneDevice.context.cookies(`${demo.baseUrl}/auth/refresh`)).find(
    (c) => c.name === 'refresh_token',
  );
  expect(stolen?.httpOnly).toBe(true);
  const steal = () =>
    fetch(`${demo.baseUrl}/auth/refresh`, {
      method: 'POST',
      headers: { cookie: `refresh_token=${stolen!.value}` },
    });
  const refused = await steal();
  expect([refused.status, ((await refused.json()) as { code: string }).code]).toEqual([
    401,
    'REFRESH_TOKEN_REUSED',
  ]);

  await alertWith(laptop, 'suspicious').waitFor({ timeout: LIVE_MS });
  await deviceItem(laptop, 'Phone').waitFor({ state: 'detached', timeout: LIVE_MS });
  await devicesHeading(laptop).waitFor();
  await alertWith(phone, 'suspicious').waitFor({ timeout: LIVE_MS });
  await phone.getByRole('button', { name: 'Sign in', exact: true }).waitFor();
  await screenshot(laptop, 'reuse-warning.png');
  await screenshot(phone, 'reuse-signed-out.png');
});
