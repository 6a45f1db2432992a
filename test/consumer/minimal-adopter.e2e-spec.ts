import { existsSync } from 'node:fs';
import path from 'node:path';
import { DEFAULT_PASSWORD, refreshCookieOf } from '../support/auth.js';
import { startDemo } from '../support/demo-process.js';
import { testEnv } from '../support/env.js';
import { expectError, expectNoServerError, expectStatus } from '../support/expect-http.js';
import { ApiClient, REFRESH_COOKIE } from '../support/http-client.js';
import { type Adopter, bringUpAdopter } from './support/adopter.js';
import {
  ADOPTER_USER_IDS,
  type AdopterUser,
  adopterLogin,
  expectGuardedRouteAfterLogin,
} from './support/adopter-client.js';
import { NODE_APP_TSCONFIG } from './support/consumer-app.js';
import { nodeRuntime } from './starters/node-runtime.js';
import { NODE_24_VERSION } from './starters/versions.js';
import { type Platform, PLATFORM_NAMES, PLATFORMS } from './support/platforms.js';

// The smallest adopter, made from the packed tarball in a folder of its own, with only the required
// peers: TypeORM with the package's entities and migrations, SessionAuthModule.forRoot({ jwtSecret }),
// its own login route, a guarded route. No exception filter, Redis, event emitter, schedule or
// socket.io. Once on Express and once on Fastify (both brought up at the same time).

const REQUIRED_PEERS = [
  '@nestjs/common',
  '@nestjs/core',
  '@nestjs/typeorm',
  'typeorm',
  'pg',
  'reflect-metadata',
  'rxjs',
];
/** What only an opt-in feature needs: none of it may end up installed or imported. */
const OPTIONAL_PEERS = [
  'ioredis',
  '@socket.io/redis-adapter',
  'socket.io',
  '@nestjs/websockets',
  '@nestjs/platform-socket.io',
  '@nestjs/event-emitter',
  '@nestjs/schedule',
  'cron',
  '@nestjs/swagger',
  'prom-client',
];

const BRING_UP_TIMEOUT_MS = 300_000;
const adopters = {} as Record<Platform, Adopter>;

beforeAll(async () => {
  for (const platform of PLATFORM_NAMES) {
    adopters[platform] = bringUpAdopter({
      recipe: {
        name: `minimal-${platform}`,
        layers: ['shared', platform, 'minimal'],
        dependencies: [...REQUIRED_PEERS, ...PLATFORMS[platform].dependencies],
        devDependencies: ['typescript', '@types/node', ...PLATFORMS[platform].devDependencies],
        tsconfig: NODE_APP_TSCONFIG,
      },
      databaseTag: `consumer_${platform}`,
      env: { REDIS_URL: undefined },
    });
  }
  await Promise.all(Object.values(adopters).map((adopter) => adopter.settled()));
}, BRING_UP_TIMEOUT_MS);

afterAll(async () => {
  for (const [platform, adopter] of Object.entries(adopters)) {
    console.info(`consumer app minimal-${platform}: ${adopter.timings()}`);
  }
  await Promise.all(Object.values(adopters).map((adopter) => adopter?.dispose()));
});

describe.each(PLATFORM_NAMES)('minimal adopter on %s', (platform) => {
  const adopter = () => adopters[platform];
  const baseUrl = async () => (await adopter().running).baseUrl;
  /** Every token the app handed out, to look for in its output at the end. */
  const secrets: string[] = [DEFAULT_PASSWORD];
  const signIn = async (user: AdopterUser) => {
    const device = await adopterLogin(await baseUrl(), user, DEFAULT_PASSWORD);
    secrets.push(device.accessToken, device.refreshToken);
    return device;
  };

  it('installs the tarball with the required peers only, and bcrypt loads', async () => {
    const app = await adopter().installed;
    const installed = OPTIONAL_PEERS.filter((name) =>
      existsSync(path.join(app.dir, 'node_modules', name)),
    );
    expect({ optionalPeersInstalled: installed }).toEqual({ optionalPeersInstalled: [] });
    // npm 11 runs no install script it was not told to allow: bcrypt must load its prebuilt binary.
    const { stdout } = await app.run(process.execPath, [
      '--input-type=module',
      '-e',
      "const { default: bcrypt } = await import('bcrypt'); console.log(await bcrypt.hash('x', 4));",
    ]);
    expect(stdout).toMatch(/^\$2b\$04\$/);
  });

  it("compiles with its own tsc, strict and checking the package's .d.ts", async () => {
    await adopter().compiled;
  });

  it('starts as a real process and migrates its own database with the one migration', async () => {
    await adopter().started;
    const db = await adopter().database;
    const tables = await db.query<{ table_name: string }>(
      "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY 1",
    );
    expect(tables.map((t) => t.table_name)).toEqual(['migrations', 'sessions']);
    const applied = await db.query<{ name: string }>('SELECT name FROM migrations ORDER BY id');
    expect(applied.map((m) => m.name)).toEqual(['CreateSessionTables1763900000000']);
  });

  it('refuses a missing or garbage access token with 401 and its code', async () => {
    const { client } = await signIn('ada');
    expectError(await client.get('/me'), 401, 'ACCESS_TOKEN_MISSING');
    expectError(await client.get('/me', { token: 'garbage' }), 401, 'ACCESS_TOKEN_INVALID');
  });

  it("signs in through the app's route with a refresh cookie and serves the guarded route", async () => {
    const device = await signIn('ada');
    expect(device.response.body).toMatchObject({
      accessToken: expect.any(String),
      accessTokenExpiresAt: expect.any(String),
      session: { id: expect.stringMatching(/^[0-9a-f-]{36}$/) },
      refreshToken: device.refreshToken,
    });
    expect(device.response.cookies[REFRESH_COOKIE].attributes).toMatchObject({
      httponly: true,
      samesite: 'Strict',
      path: '/auth',
    });
    const me = await device.client.get('/me', { token: device.accessToken });
    expectStatus(me, 200);
    expect(me.body).toEqual({ userId: ADOPTER_USER_IDS.ada, sessionId: device.sessionId });

    const wrong = await device.client.post('/login', {
      json: { username: 'ada', password: 'not the password' },
    });
    expectStatus(wrong, 401);
  });

  it('rotates the refresh token from the cookie and from the body', async () => {
    const device = await signIn('ada');
    const byCookie = await device.client.post('/auth/refresh');
    expectStatus(byCookie, 200);
    const second = refreshCookieOf(byCookie);
    secrets.push(second, byCookie.body.accessToken);
    expect(second).not.toBe(device.refreshToken);
    expect(byCookie.body.session.id).toBe(device.sessionId);
    expectStatus(await device.client.get('/me', { token: byCookie.body.accessToken }), 200);

    const byBody = await device.client.post('/auth/refresh', {
      json: { refreshToken: second },
      withCookie: false,
    });
    expectStatus(byBody, 200);
    expect(byBody.body.refreshToken).toEqual(expect.any(String));
    secrets.push(byBody.body.refreshToken, byBody.body.accessToken);
    expect(byBody.body.refreshToken).not.toBe(second);

    expectError(
      await device.client.post('/auth/refresh', { withCookie: false }),
      401,
      'REFRESH_TOKEN_MISSING',
    );
    expectError(
      await device.client.post('/auth/refresh', {
        json: { refreshToken: 'garbage' },
        withCookie: false,
      }),
      401,
      'REFRESH_TOKEN_INVALID',
    );
  });

  it('lists the sessions and ends one with DELETE; its tokens are then refused', async () => {
    const laptop = await signIn('ada');
    const phone = await signIn('ada');
    const list = await laptop.client.get('/auth/sessions', { token: laptop.accessToken });
    expectStatus(list, 200);
    expect(list.body).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ id: laptop.sessionId, current: true }),
        expect.objectContaining({ id: phone.sessionId, current: false }),
      ]),
    );

    const ended = await laptop.client.delete(`/auth/sessions/${phone.sessionId}`, {
      token: laptop.accessToken,
    });
    expectStatus(ended, 204);
    expectError(
      await phone.client.get('/me', { token: phone.accessToken }),
      401,
      'SESSION_REVOKED',
    );
    expectError(await phone.client.post('/auth/refresh'), 401, 'SESSION_REVOKED');
    expectStatus(await laptop.client.get('/me', { token: laptop.accessToken }), 200);
  });

  it("answers 404 for another user's session and 4xx, never 500, for bad input", async () => {
    const ada = await signIn('ada');
    const grace = await signIn('grace');
    expectError(
      await grace.client.delete(`/auth/sessions/${ada.sessionId}`, { token: grace.accessToken }),
      404,
      'SESSION_NOT_FOUND',
    );
    expectError(
      await grace.client.delete('/auth/sessions/not-a-uuid', { token: grace.accessToken }),
      404,
      'SESSION_NOT_FOUND',
    );
    expectError(
      await grace.client.delete('/auth/sessions?scope=everything', { token: grace.accessToken }),
      400,
      'VALIDATION_FAILED',
    );
    const malformed = await grace.client.post('/auth/refresh', {
      body: '{"refreshToken":',
      withCookie: false,
    });
    expectNoServerError(malformed);
    expectStatus(malformed, 400);
    expectStatus(await ada.client.get('/me', { token: ada.accessToken }), 200);
  });

  it('logs out: the session ends and the cookie is cleared', async () => {
    const device = await signIn('grace');
    const out = await device.client.post('/auth/logout', { token: device.accessToken });
    expectStatus(out, 204);
    expect(out.cookies[REFRESH_COOKIE]?.cleared).toBe(true);
    expectError(
      await device.client.get('/me', { token: device.accessToken }),
      401,
      'SESSION_REVOKED',
    );
  });

  it('issues a session through nestjs-session-auth/testing that the running app accepts', async () => {
    const server = await adopter().running;
    const app = await adopter().installed;
    const { stdout } = await app.run(
      process.execPath,
      ['dist/issue-test-session.js', ADOPTER_USER_IDS.grace],
      server.env,
    );
    const issued = JSON.parse(stdout) as { headers: Record<string, string>; sessionId: string };
    const me = await new ApiClient(server.baseUrl).get('/me', { headers: issued.headers });
    expectStatus(me, 200);
    expect(me.body).toEqual({ userId: ADOPTER_USER_IDS.grace, sessionId: issued.sessionId });
  }, 60_000);

  it('refuses to start with Redis configured but ioredis not installed, naming the package', async () => {
    const [app, , db] = await Promise.all([
      adopter().installed,
      adopter().compiled,
      adopter().database,
    ]);
    const attempt = startDemo({
      name: `consumer-minimal-${platform}-redis`,
      entry: path.join(app.dir, 'dist/main.js'),
      cwd: app.dir,
      env: { DATABASE_URL: db.url, REDIS_URL: testEnv().redisUrl },
    });
    await expect(attempt).rejects.toThrow(/needs the package "ioredis"/);
  }, 60_000);

  it('starts on Node 24 as well and serves the sign-in and the guarded route', async () => {
    const [app, , db, node24] = await Promise.all([
      adopter().installed,
      adopter().compiled,
      adopter().database,
      nodeRuntime(NODE_24_VERSION),
    ]);
    const server = await startDemo({
      name: `consumer-minimal-${platform}-node24`,
      entry: path.join(app.dir, 'dist/main.js'),
      cwd: app.dir,
      node: node24.node,
      env: { DATABASE_URL: db.url, REDIS_URL: undefined },
    });
    try {
      await expectGuardedRouteAfterLogin(server.baseUrl);
    } finally {
      await server.stop();
    }
  }, 300_000);

  it('prints no token or password', async () => {
    const output = (await adopter().running).output();
    expect(secrets.length).toBeGreaterThan(10);
    expect(secrets.filter((secret) => output.includes(secret))).toEqual([]);
  });
});
