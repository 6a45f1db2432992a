import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { compile, type ConsumerApp, createConsumerApp } from './support/consumer-app.js';
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
  app = await createConsumerApp({
    name: 'browser',
    layers: ['browser'],
    dependencies: [],
    devDependencies: ['typescript', 'vite'],
    tsconfig: {
      compilerOptions: {
        target: 'ES2022',
        module: 'ESNext',
        moduleResolution: 'Bundler',
        lib: ['ES2022', 'DOM'],
        types: [],
        strict: true,
        skipLibCheck: false,
        noEmit: true,
      },
      include: ['src'],
    },
  });
  typeCheck = compile(app);
  build = app.bin('vite/bin/vite.js', ['build']);
  // Awaited by their own tests; settled here so those tests need no long timeouts.
  await Promise.allSettled([typeCheck, build]);
}, 300_000);

afterAll(() => app?.remove());

function bundle(): { files: string[]; code: string; bytes: number } {
  const assets = path.join(app.dir, 'dist/assets');
  const files = readdirSync(assets).filter((file) => file.endsWith('.js'));
  const code = files.map((file) => readFileSync(path.join(assets, file), 'utf8')).join('\n');
  return { files, code, bytes: Buffer.byteLength(code) };
}

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
  const { files, code, bytes } = bundle();
  console.info(`browser bundle: ${files.join(', ')}, ${bytes} bytes`);
  expect(files).toHaveLength(1);
  expect(code).toContain('/sessions'); // SESSIONS_NAMESPACE made it in
  expect(FORBIDDEN.filter((text) => code.includes(text))).toEqual([]);
  expect(bytes).toBeLessThan(MAX_BUNDLE_BYTES);
});
