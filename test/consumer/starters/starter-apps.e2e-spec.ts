import { startDemo } from '../../support/demo-process.js';
import { expectError } from '../../support/expect-http.js';
import { createScratchDatabase, type ScratchDatabase } from '../../support/scratch-database.js';
import { testEnv } from '../../support/env.js';
import { expectGuardedRouteAfterLogin } from '../support/adopter-client.js';
import type { ConsumerApp } from '../support/consumer-app.js';
import { PACKAGE_NAME } from '../support/packed-library.js';
import { stageTimer } from '../support/stage-timer.js';
import { nodeRuntime, type NodeRuntime } from './node-runtime.js';
import { createStarterApp } from './starter-app.js';
import { NEST_12_VERSIONS, NODE_24_VERSION, STARTER_NEST_11_VERSIONS } from './versions.js';

// The apps people generate, adopting the packed tarball: each starter exactly as `nest new` lays it
// out (./apps/<template>), with the module wired into AppModule, installed without any flag that
// relaxes peers, built with its own tsc, started with `node dist/main` and checked over HTTP, and
// its own e2e test run by its own runner and configuration. One lane after the other (2 CPUs).

interface Lane {
  template: string;
  title: string;
  versions: Record<string, string>;
  /** Installs, builds and tests on Node 24 (the runner's Node otherwise). */
  onNode24?: true;
}

const LANES: Lane[] = [
  {
    template: 'nest11-cjs',
    title: 'Nest 11 + TypeORM 0.3, CommonJS, Jest + ts-jest',
    versions: STARTER_NEST_11_VERSIONS,
  },
  {
    template: 'nest12-esm',
    title: 'Nest 12 + TypeORM 1, ES modules, Vitest (nest new)',
    versions: NEST_12_VERSIONS,
  },
  {
    // Jest loads Nest 12's ES modules through --experimental-vm-modules only from Node 24.9.
    template: 'nest12-cjs',
    title: 'Nest 12 + TypeORM 1, CommonJS, Jest (nest new --type cjs) on Node 24',
    versions: NEST_12_VERSIONS,
    onNode24: true,
  },
];

const SETUP_TIMEOUT_MS = 420_000;
const STEP_TIMEOUT_MS = 200_000;

const timings: string[] = [];
let node24: Promise<NodeRuntime>;
/** Each lane's app, installed one after the other in the background while earlier lanes run. */
const installs = new Map<string, Promise<ConsumerApp>>();

beforeAll(() => {
  node24 = nodeRuntime(NODE_24_VERSION);
  let previous: Promise<unknown> = Promise.resolve();
  for (const { template, versions, onNode24 } of LANES) {
    const install = previous.then(async () =>
      createStarterApp({ template, versions, env: onNode24 ? (await node24).env : undefined }),
    );
    installs.set(template, install);
    previous = install.catch(() => undefined);
  }
  // Each is awaited by its lane; these handlers only keep a failure from being "unhandled".
  [node24, ...installs.values()].forEach((stage) => stage.catch(() => undefined));
});

afterAll(async () => {
  for (const line of timings) console.info(line);
  const removals = [...installs.values()].map((app) => app.then((a) => a.remove()).catch(() => {}));
  await Promise.all(removals);
});

describe.each(LANES)('starter $template: $title', ({ template, versions, onNode24 }) => {
  let app: ConsumerApp;
  let database: ScratchDatabase;
  const { durations, timed, summary } = stageTimer();

  beforeAll(async () => {
    database = await createScratchDatabase(template.replace(/-/g, '_'));
    app = await installs.get(template)!;
    durations.install = app.installMs;
  }, SETUP_TIMEOUT_MS);

  afterAll(async () => {
    timings.push(`starter ${template}: ${summary()}`);
    await database?.drop();
  });

  it('installs the tarball and its peers with plain npm install, and npm ls finds no problem', async () => {
    // npm ls exits non-zero on a missing or invalid (peer) dependency anywhere in the tree.
    const { stdout } = await app.run('npm', ['ls', '--all', '--json']);
    const { dependencies } = JSON.parse(stdout) as {
      dependencies: Record<string, { version: string }>;
    };
    expect(Object.keys(dependencies)).toContain(PACKAGE_NAME);
    for (const name of ['@nestjs/common', '@nestjs/core', '@nestjs/typeorm', 'typeorm']) {
      expect({ name, version: dependencies[name]?.version }).toEqual({
        name,
        version: versions[name],
      });
    }
  });

  it(
    'builds with tsc -p tsconfig.build.json',
    async () => {
      await timed('build', () => app.bin('typescript/bin/tsc', ['-p', 'tsconfig.build.json']));
    },
    STEP_TIMEOUT_MS,
  );

  const runtimes = onNode24 ? ['24'] : ['20', '24'];
  it.each(runtimes)(
    'node dist/main on Node %s signs in and serves the guarded route',
    async (major) => {
      const node = major === '24' ? (await node24).node : process.execPath;
      const server = await timed(`start on ${major}`, () =>
        startDemo({
          name: `starter-${template}`,
          entry: `${app.dir}/dist/main.js`,
          cwd: app.dir,
          node,
          env: { DATABASE_URL: database.url },
        }),
      );
      try {
        const device = await expectGuardedRouteAfterLogin(server.baseUrl);
        expectError(await device.client.get('/me'), 401, 'ACCESS_TOKEN_MISSING');
      } finally {
        await server.stop();
      }
    },
    STEP_TIMEOUT_MS,
  );

  it(
    "passes its own e2e test (npm run test:e2e) with the starter's unchanged config",
    async () => {
      const { stdout, stderr } = await timed('e2e', () =>
        app.run('npm', ['run', 'test:e2e'], {
          DATABASE_URL: database.url,
          JWT_SECRET: testEnv().jwtSecret,
        }),
      );
      expect(`${stdout}\n${stderr}`).toMatch(/(Tests:\s+2 passed|Tests\s+2 passed)/);
    },
    STEP_TIMEOUT_MS,
  );
});
