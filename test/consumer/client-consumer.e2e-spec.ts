import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { buildBrowserApp, type ConsumerApp, viteBundle } from './support/consumer-app.js';
import { CLIENT_PACKAGE_NAME } from './support/packed-library.js';
import type { CommandResult } from './support/run-command.js';

// Issue 18: a Vite + TypeScript browser app (strict, skipLibCheck false, DOM, no Node types) that
// installs only nestjs-session-auth-client's tarball and socket.io-client. It type-checks against
// the client's own .d.ts (the socket contract included), bundles, and installs nothing of the
// server. Before (the client's required peer `nestjs-session-auth`): 82 packages, 67 MB, with
// @nestjs/core, typeorm and bcrypt.

/** Packages a browser app must never get by installing the client. */
const SERVER_PACKAGES = /^(@nestjs\/.+|typeorm|bcrypt|nestjs-session-auth|ioredis|pg)$/;

let app: ConsumerApp;
let typeCheck: Promise<CommandResult>;
let build: Promise<CommandResult>;

beforeAll(async () => {
  ({ app, typeCheck, build } = await buildBrowserApp({
    name: 'browser-client',
    layers: ['browser-client'],
    packages: [CLIENT_PACKAGE_NAME],
    dependencies: ['socket.io-client'],
  }));
}, 300_000);

afterAll(() => app?.remove());

/** Every installed package (name and folder), nested node_modules included. */
function installed(modules: string): { name: string; dir: string }[] {
  if (!existsSync(modules)) return [];
  return readdirSync(modules)
    .filter((entry) => !entry.startsWith('.'))
    .flatMap((entry) =>
      entry.startsWith('@')
        ? readdirSync(path.join(modules, entry)).map((scoped) => `${entry}/${scoped}`)
        : [entry],
    )
    .flatMap((name) => {
      const dir = path.join(modules, name);
      return [{ name, dir }, ...installed(path.join(dir, 'node_modules'))];
    });
}

/** Bytes under `dir`; `ownOnly`: without its nested node_modules (counted as packages of their own). */
function bytesOf(dir: string, ownOnly = false): number {
  return readdirSync(dir, { withFileTypes: true }).reduce((sum, entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory() && ownOnly && entry.name === 'node_modules') return sum;
    if (entry.isDirectory()) return sum + bytesOf(full, ownOnly);
    return sum + (entry.isFile() ? statSync(full).size : 0);
  }, 0);
}

it('installs the client and socket.io-client, and nothing of Nest, TypeORM or bcrypt', async () => {
  const packages = installed(path.join(app.dir, 'node_modules'));
  const megabytes = bytesOf(path.join(app.dir, 'node_modules')) / 1e6;
  // What the app ships with (its dependencies' tree, without typescript and vite).
  const { stdout } = await app.run('npm', ['ls', '--omit=dev', '--all', '--parseable']);
  const shipped = stdout.split('\n').filter((line) => line.includes('node_modules'));
  const shippedMegabytes = shipped.reduce((sum, dir) => sum + bytesOf(dir, true), 0) / 1e6;
  console.info(
    `browser-client app: ${packages.length} packages, ${megabytes.toFixed(1)} MB in node_modules ` +
      `(typescript and vite included); dependencies alone: ${shipped.length} packages, ` +
      `${shippedMegabytes.toFixed(1)} MB; install ${(app.installMs / 1000).toFixed(1)} s`,
  );
  expect(packages.map((p) => p.name)).toEqual(
    expect.arrayContaining([CLIENT_PACKAGE_NAME, 'socket.io-client']),
  );
  expect(packages.filter((p) => SERVER_PACKAGES.test(p.name)).map((p) => p.name)).toEqual([]);
  const manifest = JSON.parse(
    readFileSync(path.join(app.dir, 'node_modules', CLIENT_PACKAGE_NAME, 'package.json'), 'utf8'),
  ) as { peerDependencies?: Record<string, string> };
  expect(Object.keys(manifest.peerDependencies ?? {})).toEqual(['socket.io-client']);
});

it('type-checks with DOM types, no Node types and skipLibCheck false', async () => {
  await typeCheck;
});

it('is bundled by Vite without errors or warnings, with no server code in it', async () => {
  const { stdout, stderr } = await build;
  expect(stderr).toBe('');
  expect(stdout).not.toMatch(/externalized|warning/i);
  const { code } = viteBundle(app);
  expect(code).toContain('/account/sign-in');
  expect(
    ['@nestjs', 'typeorm', 'bcrypt', 'node:', 'require('].filter((t) => code.includes(t)),
  ).toEqual([]);
});
