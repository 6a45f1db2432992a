import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from '../../support/demo-process.js';
import { TEST_ENV_KEYS } from '../../support/global-setup.js';
import { sleep } from '../../support/timing.js';
import { runCommand } from './run-command.js';

export const PACKAGE_NAME = 'nestjs-session-auth';
export const PACKAGE_DIR = path.join(REPO_ROOT, 'libs/session-auth');
/** The browser client, packed the same way for the browser app that installs only it. */
export const CLIENT_PACKAGE_NAME = 'nestjs-session-auth-client';

/** What `npm pack --json` reports about the tarball (npm 11 shape), plus where it is. */
export interface PackedLibrary {
  /** Absolute path of the .tgz. */
  tarball: string;
  /** Bytes of the compressed tarball. */
  size: number;
  unpackedSize: number;
  /** Paths inside the package, e.g. `dist/index.js`. */
  files: string[];
  /** How long packing (with its prepack build) took. */
  packMs: number;
}

const PACK_TIMEOUT_MS = 180_000;
const packed = new Map<string, Promise<PackedLibrary>>();

/**
 * Packs the library once per test run (`npm pack`, whose `prepack` builds it) and hands every
 * caller the same tarball: test files share it through the run's folder, and the first one to ask
 * packs while the others wait for its manifest.
 */
export function packedLibrary(name: string = PACKAGE_NAME): Promise<PackedLibrary> {
  if (!packed.has(name)) packed.set(name, packOnce(name));
  return packed.get(name)!;
}

async function packOnce(name: string): Promise<PackedLibrary> {
  const runDir = process.env[TEST_ENV_KEYS.runDir];
  if (!runDir) throw new Error(`${TEST_ENV_KEYS.runDir} is not set: run the tests through jest`);
  const dir = path.join(runDir, name === PACKAGE_NAME ? 'packed-library' : `packed-${name}`);
  const manifest = path.join(dir, 'pack.json');
  try {
    mkdirSync(dir); // only one test file of the run gets past this
  } catch {
    return waitForManifest(manifest);
  }
  const { stdout, ms } = await runCommand(
    'npm',
    ['pack', '-w', name, '--pack-destination', dir, '--json'],
    { cwd: REPO_ROOT, timeoutMs: PACK_TIMEOUT_MS },
  );
  const [report] = JSON.parse(stdout) as {
    filename: string;
    size: number;
    unpackedSize: number;
    files: { path: string }[];
  }[];
  const result: PackedLibrary = {
    tarball: path.join(dir, report.filename),
    size: report.size,
    unpackedSize: report.unpackedSize,
    files: report.files.map((file) => file.path),
    packMs: ms,
  };
  writeFileSync(manifest, JSON.stringify(result));
  return result;
}

async function waitForManifest(manifest: string): Promise<PackedLibrary> {
  const deadline = Date.now() + PACK_TIMEOUT_MS;
  while (!existsSync(manifest)) {
    if (Date.now() > deadline) throw new Error(`no ${manifest}: packing failed in another file`);
    await sleep(200);
  }
  return JSON.parse(readFileSync(manifest, 'utf8')) as PackedLibrary;
}
