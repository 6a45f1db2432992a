import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { publint } from 'publint';
import { formatMessage } from 'publint/utils';
import { REPO_ROOT } from '../support/demo-process.js';
import { TEST_ENV_KEYS } from '../support/global-setup.js';
import { packedLibrary } from './support/packed-library.js';
import { runCommand } from './support/run-command.js';

// Both packages' tarballs through the two linters of npm packaging: @arethetypeswrong/cli (do the
// types resolve, and match the JavaScript, for node10, node16 CommonJS and ESM importers and
// bundlers) and publint (package.json fields, exports and files against what the tarball holds).

const CLIENT_NAME = 'nestjs-session-auth-client';
const RESOLUTION_KINDS = ['node10', 'node16-cjs', 'node16-esm', 'bundler'];

/**
 * Rules of attw waived per package, each with its reason. The client is a browser package and
 * ships ES modules only (bundlers and `<script type="module">` load it): a CommonJS `require` of it
 * is the one thing attw flags ("cjs-resolves-to-esm"), and Node 20.19+ loads it even then through
 * require(esm). The server package is CommonJS and waives nothing.
 */
const WAIVED_RULES: Record<string, string[]> = {
  'nestjs-session-auth': [],
  [CLIENT_NAME]: ['cjs-resolves-to-esm'],
};

interface AttwReport {
  analysis: {
    entrypoints: Record<
      string,
      { resolutions: Record<string, { resolution?: { fileName: string } }> }
    >;
    problems: { kind: string }[];
  };
}

const tarballs: Record<string, string> = {};

beforeAll(async () => {
  tarballs['nestjs-session-auth'] = (await packedLibrary()).tarball;
  tarballs[CLIENT_NAME] = await packClient();
}, 200_000);

/** Packs the client as built by `npm run build` (pretest:e2e) into the run's folder. */
async function packClient(): Promise<string> {
  const dir = path.join(process.env[TEST_ENV_KEYS.runDir]!, 'packed-client');
  mkdirSync(dir, { recursive: true });
  const { stdout } = await runCommand(
    'npm',
    ['pack', '-w', CLIENT_NAME, '--ignore-scripts', '--pack-destination', dir, '--json'],
    { cwd: REPO_ROOT, timeoutMs: 120_000 },
  );
  const [report] = JSON.parse(stdout) as { filename: string }[];
  return path.join(dir, report.filename);
}

describe.each(Object.keys(WAIVED_RULES))('%s', (name) => {
  it('attw: no problems, and every entry point has types under node10, node16 (CJS and ESM) and bundler', async () => {
    const waived = WAIVED_RULES[name];
    const { stdout } = await runCommand(
      'npx',
      [
        'attw',
        tarballs[name],
        '--format',
        'json',
        ...(waived.length ? ['--ignore-rules', ...waived] : []),
      ],
      { cwd: REPO_ROOT, timeoutMs: 120_000 },
    );
    const { analysis } = JSON.parse(stdout) as AttwReport;
    const unwaived = analysis.problems.filter(
      (problem) => !waived.some((rule) => rule.replaceAll('-', '') === problem.kind.toLowerCase()),
    );
    expect(unwaived).toEqual([]);
    const untyped = Object.entries(analysis.entrypoints).flatMap(([entry, { resolutions }]) =>
      RESOLUTION_KINDS.filter(
        (kind) => !/\.(d\.ts|json)$/.test(resolutions[kind]?.resolution?.fileName ?? ''),
      ).map((kind) => `${entry} (${kind})`),
    );
    expect(untyped).toEqual([]);
  }, 150_000);

  it('publint (strict): no errors, warnings or suggestions', async () => {
    const tarball = readFileSync(tarballs[name]);
    const { messages, pkg } = await publint({
      pack: { tarball: new Uint8Array(tarball).buffer },
      level: 'suggestion',
      strict: true,
    });
    expect(messages.map((message) => formatMessage(message, pkg) ?? message.code)).toEqual([]);
  }, 60_000);
});
