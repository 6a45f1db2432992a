import { buildBrowserApp, type ConsumerApp, viteBundle } from './support/consumer-app.js';
import type { CommandResult } from './support/run-command.js';

// A browser-side consumer: a device page's script that imports PACKAGE/socket-events, type-checked
// with DOM types and no Node types, then bundled by Vite for the browser.

/** What must never reach a browser bundle: Nest, TypeORM, Node built-ins, Node-only packages. */
const FORBIDDEN = [
  '@nestjs',
  'typeorm',
  'node:',
  'reflect-metadata',
  'bcrypt',
  'ioredis',
  'require(',
];
/** The script plus Vite's module-preload polyfill is about 1.5 kB; the contract adds a constant. */
const MAX_BUNDLE_BYTES = 5_000;

let app: ConsumerApp;
let typeCheck: Promise<CommandResult>;
let build: Promise<CommandResult>;

beforeAll(async () => {
  ({ app, typeCheck, build } = await buildBrowserApp({
    name: 'browser',
    layers: ['browser'],
    dependencies: [],
  }));
}, 300_000);

afterAll(() => app?.remove());

it('type-checks against the socket contract with DOM types and no Node types', async () => {
  await typeCheck;
});

it('is bundled by Vite for the browser without errors or warnings', async () => {
  const { stdout, stderr } = await build;
  expect(stderr).toBe('');
  expect(stdout).not.toMatch(/externalized|warning/i);
});

it('bundles the contract and nothing from Node or Nest, in a few kB', async () => {
  await build;
  const { files, code, bytes } = viteBundle(app);
  console.info(`browser bundle: ${files.join(', ')}, ${bytes} bytes`);
  expect(files).toHaveLength(1);
  expect(code).toContain('/sessions'); // SESSIONS_NAMESPACE made it in
  expect(FORBIDDEN.filter((text) => code.includes(text))).toEqual([]);
  expect(bytes).toBeLessThan(MAX_BUNDLE_BYTES);
});
