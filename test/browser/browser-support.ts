import { mkdirSync } from 'node:fs';
import path from 'node:path';
import {
  type Browser,
  type BrowserContext,
  type BrowserContextOptions,
  chromium,
  type Locator,
  type Page,
} from 'playwright-core';
import { REPO_ROOT } from '../support/demo-process.js';

/** Debian's chromium (installed by .ci/run); playwright never downloads a browser here. */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** What the issue promises for live updates ("within 2 s"). */
export const LIVE_MS = 2_000;
/** Ordinary UI waits: a page load, a sign-in round trip. */
export const UI_MS = 10_000;

export const ARTIFACTS_DIR = path.join(REPO_ROOT, 'test-artifacts/browser');

export function launchBrowser(extraArgs: string[] = []): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      ...extraArgs,
    ],
  });
}

/** User agents of other platforms, so the list shows real browser/OS names (Chromium renders). */
export const USER_AGENTS = {
  iphone:
    'Mozilla/5.0 (iPhone; CPU iPhone OS 18_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.5 Mobile/15E148 Safari/604.1',
  windowsFirefox:
    'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:140.0) Gecko/20100101 Firefox/140.0',
  macChrome:
    'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/138.0.0.0 Safari/537.36',
};

/**
 * One browser context is one device (its own cookie jar). Uncaught page errors and CSP violations
 * are collected so a suite can fail on them.
 */
export class Device {
  readonly problems: string[] = [];

  private constructor(
    readonly context: BrowserContext,
    readonly baseUrl: string,
  ) {}

  static async open(
    browser: Browser,
    baseUrl: string,
    options: BrowserContextOptions = {},
  ): Promise<Device> {
    const context = await browser.newContext({
      viewport: { width: 1200, height: 800 },
      ...options,
    });
    context.setDefaultTimeout(UI_MS);
    return new Device(context, baseUrl);
  }

  /** A new tab on the device page, once it has decided whether a session exists. */
  async tab(): Promise<Page> {
    const page = await this.context.newPage();
    page.on('pageerror', (error) => this.problems.push(`page error: ${error.message}`));
    page.on('console', (message) => {
      if (
        message.type() === 'error' &&
        /Content Security Policy|Refused to/i.test(message.text())
      ) {
        this.problems.push(`console: ${message.text()}`);
      }
    });
    await page.goto(this.baseUrl);
    await page.locator('.loading').waitFor({ state: 'detached' });
    return page;
  }

  close(): Promise<void> {
    return this.context.close();
  }
}

export interface Credentials {
  email: string;
  password: string;
  /** Typed into the optional "Device (optional)" field: how the device appears in lists. */
  device?: string;
}

export async function signUp(page: Page, account: Credentials & { name: string }): Promise<void> {
  await page.getByRole('button', { name: 'Create an account', exact: true }).click();
  await page.getByLabel('Name', { exact: true }).fill(account.name);
  await page.getByLabel('Email', { exact: true }).fill(account.email);
  await page.getByLabel('Password', { exact: true }).fill(account.password);
  if (account.device)
    await page.getByLabel('Device (optional)', { exact: true }).fill(account.device);
  await page.getByRole('button', { name: 'Create account', exact: true }).click();
}

export async function signIn(page: Page, account: Credentials): Promise<void> {
  await page.getByLabel('Email', { exact: true }).fill(account.email);
  await page.getByLabel('Password', { exact: true }).fill(account.password);
  if (account.device)
    await page.getByLabel('Device (optional)', { exact: true }).fill(account.device);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
}

/**
 * The page's live indicator once its socket is connected. A device signed out from elsewhere is
 * told over that socket, so a test that signs a device out waits for this first.
 */
export function liveUpdates(page: Page): Locator {
  return page.locator('.live[data-status="live"]');
}

export function devicesHeading(page: Page): Locator {
  return page.getByRole('heading', { name: 'Your devices', exact: true, level: 1 });
}

export function deviceList(page: Page): Locator {
  return page.getByRole('list', { name: 'Your devices', exact: true });
}

/** The list item of the device with this name. */
export function deviceItem(page: Page, deviceName: string): Locator {
  return deviceList(page)
    .getByRole('listitem')
    .filter({ has: page.getByRole('heading', { name: deviceName, exact: true }) });
}

export function alertWith(page: Page, text: string | RegExp): Locator {
  return page.getByRole('alert').filter({ hasText: text });
}

export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(ARTIFACTS_DIR, { recursive: true });
  const file = path.join(ARTIFACTS_DIR, name);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

/** Marks the page's JavaScript realm; still marked later means the page was never reloaded. */
export async function markNoReload(page: Page): Promise<() => Promise<boolean>> {
  await page.evaluate(() => ((globalThis as Record<string, unknown>).__notReloaded = true));
  return () => page.evaluate(() => (globalThis as Record<string, unknown>).__notReloaded === true);
}
