import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { REPO_ROOT } from '../support/demo-process.js';

// The browser client's size budget (issue 13): its built entry bundled and minified as an app's
// bundler would, socket.io-client left out, then gzipped. `npm run size` prints the same figure.

const SCRIPT = path.join(REPO_ROOT, 'libs/session-auth-client/scripts/size.mjs');
const BUDGET_BYTES = 8 * 1024;

it('nestjs-session-auth-client stays under 8 kB minified + gzipped without socket.io-client', async () => {
  const { stdout } = await promisify(execFile)(process.execPath, [SCRIPT, '--json'], {
    cwd: REPO_ROOT,
  });
  const size = JSON.parse(stdout) as {
    minified: number;
    gzipped: number;
    budget: number;
    imports: string[];
  };
  console.log(`nestjs-session-auth-client: ${size.minified} B minified, ${size.gzipped} B min+gz`);
  expect(size.budget).toBe(BUDGET_BYTES);
  expect(size.gzipped).toBeGreaterThan(1_000); // it measured the real bundle, not an empty one
  expect(size.gzipped).toBeLessThan(BUDGET_BYTES);
  // Types only from nestjs-session-auth, and socket.io-client's `io` is passed in: the bundle
  // imports nothing at run time.
  expect(size.imports).toEqual([]);
});
