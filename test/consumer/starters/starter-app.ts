import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { TEST_ENV_KEYS } from '../../support/global-setup.js';
import type { ConsumerApp } from '../support/consumer-app.js';
import { PACKAGE_NAME, packedLibrary } from '../support/packed-library.js';
import { runCommand } from '../support/run-command.js';
import { ADOPTER_PACKAGES, DROPPED_TOOLING } from './versions.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const CONSUMER_APPS = path.join(HERE, '../apps');
const INSTALL_TIMEOUT_MS = 300_000;
const RUN_TIMEOUT_MS = 180_000;

/**
 * What the adopter adds to a fresh starter: the module wired into AppModule and a test of its own
 * (./apps/wiring), the sign-in controller every consumer app shares and Express's request types.
 * Sources are written for ES modules (`./x.js`); a CommonJS starter gets them as `nest new` writes
 * its own, without the extension (Jest's CommonJS resolver does not map `.js` to `.ts`).
 */
const ADOPTION_FILES: [from: string, to: string][] = [
  [path.join(HERE, 'apps/wiring/src/app.module.ts'), 'src/app.module.ts'],
  [path.join(HERE, 'apps/wiring/test/app.e2e-spec.ts'), 'test/app.e2e-spec.ts'],
  [path.join(CONSUMER_APPS, 'shared/src/accounts.controller.ts'), 'src/accounts.controller.ts'],
  [path.join(CONSUMER_APPS, 'shared/src/session-auth-imports.ts'), 'src/session-auth-imports.ts'],
  [path.join(CONSUMER_APPS, 'express/src/http-types.ts'), 'src/http-types.ts'],
];

export interface StarterOptions {
  /** Folder under ./apps: the files `nest new` made (package.json with its ranges). */
  template: string;
  /** Exact versions of every package the app installs (see versions.ts). */
  versions: Record<string, string>;
  /** Added to every command's environment (e.g. PATH with another Node first). */
  env?: Record<string, string>;
}

/**
 * A starter as `nest new` made it, adopting the packed library: copies the template and the
 * adoption files, pins every version, and runs `npm install --prefer-offline` (no flag that relaxes
 * peer resolution: the install must resolve as a stranger's would).
 */
export async function createStarterApp({
  template,
  versions,
  env,
}: StarterOptions): Promise<ConsumerApp> {
  const { tarball } = await packedLibrary();
  // Inside the run's folder when there is one, so the global teardown removes what a killed run left.
  const parent = process.env[TEST_ENV_KEYS.runDir] ?? tmpdir();
  const dir = mkdtempSync(path.join(parent, `starter-${template}-`));
  cpSync(path.join(HERE, 'apps', template), dir, { recursive: true });
  const manifestPath = path.join(dir, 'package.json');
  const manifest = JSON.parse(readFileSync(manifestPath, 'utf8'));
  const commonJs = manifest.type !== 'module';
  for (const [from, to] of ADOPTION_FILES) {
    const source = readFileSync(from, 'utf8');
    writeFileSync(path.join(dir, to), commonJs ? withoutJsExtensions(source) : source);
  }
  manifest.name = `starter-${template}`;
  manifest.dependencies = {
    ...pinned(manifest.dependencies, versions),
    ...pinned(Object.fromEntries(ADOPTER_PACKAGES.map((name) => [name, '*'])), versions),
    [PACKAGE_NAME]: `file:${tarball}`,
  };
  manifest.devDependencies = pinned(manifest.devDependencies, versions);
  writeFileSync(manifestPath, `${JSON.stringify(manifest, null, 2)}\n`);

  const run = (
    command: string,
    args: string[],
    extra?: Record<string, string>,
    timeoutMs = RUN_TIMEOUT_MS,
  ) => runCommand(command, args, { cwd: dir, timeoutMs, env: { ...env, ...extra } });
  try {
    const install = await run(
      'npm',
      ['install', '--prefer-offline', '--no-audit', '--no-fund'],
      undefined,
      INSTALL_TIMEOUT_MS,
    );
    return {
      name: template,
      dir,
      installMs: install.ms,
      run: (command, args, extra) => run(command, args, extra),
      bin: (script, args) => run('node', [path.join(dir, 'node_modules', script), ...args]),
      remove: () => rm(dir, { recursive: true, force: true }),
    };
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}

/** The starter's packages at the exact versions of the table, minus the tooling the test never runs. */
function pinned(ranges: Record<string, string>, versions: Record<string, string>) {
  const names = Object.keys(ranges).filter((name) => !DROPPED_TOOLING.includes(name));
  const missing = names.filter((name) => !versions[name]);
  if (missing.length > 0)
    throw new Error(`no pinned version for ${missing.join(', ')}: see versions.ts`);
  return Object.fromEntries(names.map((name) => [name, versions[name]]));
}

/** `from './x.js'` becomes `from './x'` (relative specifiers only). */
function withoutJsExtensions(source: string): string {
  return source.replace(/(from\s+'\.{1,2}\/[^']*)\.js'/g, "$1'");
}
