import { readFileSync } from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from '../../support/demo-process.js';

let lockfile: { packages: Record<string, { version?: string }> } | undefined;

/**
 * The exact versions the repository's package-lock.json installs, so an app made by the tests gets
 * what `npm ci` already put in the npm cache (and CI needs no other download). `pinned` names exact
 * versions that win over the lockfile's (another major's lane, e.g. NEST_11_VERSIONS).
 */
export function lockedVersions(
  names: string[],
  pinned: Readonly<Record<string, string>> = {},
): Record<string, string> {
  lockfile ??= JSON.parse(readFileSync(path.join(REPO_ROOT, 'package-lock.json'), 'utf8'));
  return Object.fromEntries(
    names.map((name) => {
      const version = pinned[name] ?? lockfile!.packages[`node_modules/${name}`]?.version;
      if (!version) {
        throw new Error(`${name} is not in package-lock.json: add it to the root devDependencies`);
      }
      return [name, version];
    }),
  );
}
