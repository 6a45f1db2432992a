import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { REPO_ROOT } from '../support/demo-process.js';

/**
 * A bare page on the demo's origin that loads nestjs-session-auth-client from its built dist/ (and
 * socket.io-client's ESM build), so a browser test drives the package itself, not the device page
 * built on it. The files are served by playwright's routing; the API calls go to the real demo.
 */
const PREFIX = '/__client-harness/';
const CLIENT_DIST = path.join(REPO_ROOT, 'libs/session-auth-client/dist');
const SOCKET_IO = path.join(REPO_ROOT, 'node_modules/socket.io-client/dist/socket.io.esm.min.js');

const PAGE = `<!doctype html>
<meta charset="utf-8">
<title>client harness</title>
<script type="module">
  import { createSessionClient } from './client/index.js';
  import { io } from './socket.io.esm.min.js';
  const client = createSessionClient({
    socket: { io },
    signInPath: '/auth/login',
    signUpPath: '/auth/register',
  });
  const log = { signedOut: [], connection: [], theftDetected: [] };
  for (const event of Object.keys(log)) {
    client.on(event, (payload) => log[event].push({ payload, at: Date.now() }));
  }
  globalThis.harness = { client, log, restored: client.restore().catch((error) => error.code) };
</script>`;

/** Serves the harness at `<baseUrl>/__client-harness/` in every page of the context. */
export async function serveClientHarness(context: BrowserContext, baseUrl: string): Promise<void> {
  await context.route(`${baseUrl}${PREFIX}**`, (route) => {
    const file = new URL(route.request().url()).pathname.slice(PREFIX.length);
    if (file === '') {
      return route.fulfill({ contentType: 'text/html', body: PAGE });
    }
    const source =
      file === 'socket.io.esm.min.js'
        ? SOCKET_IO
        : file.startsWith('client/') && /^[\w./-]+\.js$/.test(file) && !file.includes('..')
          ? path.join(CLIENT_DIST, file.slice('client/'.length))
          : undefined;
    if (!source) return route.fulfill({ status: 404, body: 'not part of the harness' });
    return route.fulfill({ contentType: 'text/javascript', body: readFileSync(source) });
  });
}

/** A tab with the harness loaded and its `restore()` settled. */
export async function harnessTab(context: BrowserContext, baseUrl: string): Promise<Page> {
  const page = await context.newPage();
  await page.goto(`${baseUrl}${PREFIX}`);
  await page.waitForFunction(() => (globalThis as any).harness !== undefined);
  await page.evaluate(() => (globalThis as any).harness.restored);
  return page;
}

/** The tab client's state (`{ status, userId, sessionId }` or `{ status, reason }`). */
export function clientState(page: Page): Promise<{ status: string; [key: string]: unknown }> {
  return page.evaluate(() => (globalThis as any).harness.client.state.get());
}

/** What the tab's client emitted so far, by event name. */
export function clientLog(
  page: Page,
): Promise<Record<'signedOut' | 'connection' | 'theftDetected', { payload: any; at: number }[]>> {
  return page.evaluate(() => (globalThis as any).harness.log);
}
