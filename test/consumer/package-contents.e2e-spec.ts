import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { TEST_ENV_KEYS } from '../support/global-setup.js';
import { PACKAGE_DIR, type PackedLibrary, packedLibrary } from './support/packed-library.js';
import { runCommand } from './support/run-command.js';

// What a stranger downloads: the tarball `npm pack` makes (its prepack builds the library), and
// what `npm publish --dry-run` would upload.

/** Built JavaScript, declarations and their maps under dist/, and the package's own documents. */
const ALLOWED = [
  /^dist\/.+\.(js|d\.ts)(\.map)?$/,
  /^(package\.json|README\.md|CHANGELOG\.md|LICENSE(\.md)?)$/,
];
const REQUIRED = [
  'package.json',
  'README.md',
  'CHANGELOG.md',
  'LICENSE',
  'dist/index.js',
  'dist/index.d.ts',
  'dist/socket-events.js',
  'dist/socket-events.d.ts',
  'dist/testing/index.js',
  'dist/testing/index.d.ts',
];
const MAX_TARBALL_BYTES = 250_000;

let packed: PackedLibrary;

beforeAll(async () => {
  packed = await packedLibrary();
}, 200_000);

/** Files that are not allowed, or that belong to tests, fakes or the demo. */
function unexpected(files: string[]): string[] {
  return files.filter(
    (file) =>
      !ALLOWED.some((pattern) => pattern.test(file)) ||
      /\.spec\.|test-fakes|(^|\/)demo\//.test(file),
  );
}

it('holds only dist/ JavaScript, declarations, maps and the package documents', () => {
  expect(unexpected(packed.files)).toEqual([]);
  expect(REQUIRED.filter((file) => !packed.files.includes(file))).toEqual([]);
});

it(`is smaller than ${MAX_TARBALL_BYTES / 1000} kB`, () => {
  console.info(
    `packed ${path.basename(packed.tarball)}: ${packed.size} bytes (${packed.unpackedSize} unpacked), ` +
      `${packed.files.length} files, npm pack took ${(packed.packMs / 1000).toFixed(1)} s`,
  );
  expect(packed.size).toBeLessThan(MAX_TARBALL_BYTES);
});

it('npm publish --dry-run uploads nothing, needs no credentials and lists the same files', async () => {
  // An empty user config: no token of the machine's ~/.npmrc can be used, or is needed.
  const userconfig = path.join(process.env[TEST_ENV_KEYS.runDir]!, 'empty-npmrc');
  writeFileSync(userconfig, '');
  // --ignore-scripts: dist/ was just built by the pack above (prepack), nothing to rebuild.
  const { stdout, stderr } = await runCommand(
    'npm',
    ['publish', '--dry-run', '--json', '--ignore-scripts'],
    { cwd: PACKAGE_DIR, timeoutMs: 120_000, env: { npm_config_userconfig: userconfig } },
  );
  expect(stderr).toMatch(/\(dry-run\)/);
  const report = JSON.parse(stdout) as Record<string, { files: { path: string }[] }>;
  const files = Object.values(report)[0].files.map((file) => file.path);
  expect(unexpected(files)).toEqual([]);
  expect([...files].sort()).toEqual([...packed.files].sort());
});
