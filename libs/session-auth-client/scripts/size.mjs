// The size budget: the package's ESM entry bundled and minified the way an app's bundler would
// (Vite), with socket.io-client left out (a peer the app brings), then gzipped. The server package
// is NOT left out: the client imports only its types, so nothing of it may reach the bundle, and
// `imports` lists any module the bundle still imports at run time (expected: none). Exits non-zero
// over budget or with run-time imports. `--json` prints the figures for CI and the test suite.
import { gzipSync } from 'node:zlib';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, minify } from 'vite';

export const BUDGET_BYTES = 8 * 1024;

const packageDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** Minified and gzipped sizes of the bundled entry, in bytes. */
export async function measure() {
  const output = await build({
    configFile: false,
    logLevel: 'silent',
    root: packageDir,
    build: {
      write: false,
      // Lib mode keeps the whitespace of ES output; the full minify comes after.
      minify: false,
      target: 'es2022',
      lib: { entry: path.join(packageDir, 'dist/index.js'), formats: ['es'], fileName: 'client' },
      rollupOptions: { external: [/^socket\.io-client/] },
    },
  });
  const chunks = (Array.isArray(output) ? output : [output]).flatMap((o) => o.output);
  const bundled = chunks
    .filter((chunk) => chunk.type === 'chunk')
    .map((chunk) => chunk.code)
    .join('\n');
  const { code } = await minify('client.js', bundled, { compress: true, mangle: true });
  // Module specifiers the bundle still imports or re-exports from (static or dynamic).
  const imports = [
    ...code.matchAll(/(?:\bimport|\bexport)\s*(?:[\w*{][^;]*?from\s*)?\(?\s*["'`]([^"'`]+)["'`]/g),
  ].map((match) => match[1]);
  return {
    minified: Buffer.byteLength(code),
    gzipped: gzipSync(code, { level: 9 }).length,
    imports,
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const size = await measure();
  const verdict = size.gzipped < BUDGET_BYTES ? 'within' : 'OVER';
  if (process.argv.includes('--json'))
    console.log(JSON.stringify({ ...size, budget: BUDGET_BYTES }));
  else
    console.log(
      `nestjs-session-auth-client: ${size.minified} B minified, ${size.gzipped} B min+gz ` +
        `(${verdict} the ${BUDGET_BYTES} B budget; socket.io-client not included)`,
    );
  if (size.imports.length > 0) console.error(`run-time imports: ${size.imports.join(', ')}`);
  if (size.gzipped >= BUDGET_BYTES || size.imports.length > 0) process.exitCode = 1;
}
