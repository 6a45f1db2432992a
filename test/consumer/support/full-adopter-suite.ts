import { DEFAULT_PASSWORD } from '../../support/auth.js';
import type { DemoProcess } from '../../support/demo-process.js';
import { testEnv } from '../../support/env.js';
import { expectError, expectStatus } from '../../support/expect-http.js';
import { ApiClient } from '../../support/http-client.js';
import { scanKeys, withRedis } from '../../support/global-setup.js';
import { closeAllSessionSockets, connectSessionSocket } from '../../support/sockets.js';
import { type Adopter, bringUpAdopter } from './adopter.js';
import { ADOPTER_USER_IDS, adopterLogin } from './adopter-client.js';
import { NODE_APP_TSCONFIG } from './consumer-app.js';
import { type Platform, PLATFORM_NAMES, PLATFORMS } from './platforms.js';

// The adopter that switches everything on, from the packed tarball: forRootAsync with ConfigService,
// Redis under its own key prefix, application events, the cleanup cron (ScheduleModule), the
// socket gateway through SessionIoAdapter (with @socket.io/redis-adapter), its own subclass of
// SessionAuthGuard as a global guard with @Public() routes, and SessionAuthExceptionFilter. On
// Express and on Fastify.

const DEPENDENCIES = [
  ...['@nestjs/common', '@nestjs/core', 'reflect-metadata', 'rxjs'],
  ...['@nestjs/typeorm', 'typeorm', 'pg', '@nestjs/config'],
  ...['@nestjs/event-emitter', '@nestjs/schedule', 'cron', 'ioredis'],
  ...['@nestjs/websockets', '@nestjs/platform-socket.io', 'socket.io', '@socket.io/redis-adapter'],
];

/** One lane of the full adopter: which Nest the app runs, by name and by exact versions. */
export interface FullAdopterLane {
  /** Names the apps, databases and Redis prefixes: `full`, `full-nest11` (11 characters at most). */
  name: string;
  /** Shown in the test names, e.g. `Nest 12 + TypeORM 1`. */
  label: string;
  /** Exact versions that win over package-lock.json's (see AppRecipe.pinned). */
  pinned?: Readonly<Record<string, string>>;
}

/** Declares the full adopter's tests (beforeAll, afterAll and a describe per platform) for a lane. */
export function fullAdopterSuite(lane: FullAdopterLane): void {
  /** Each app's Redis keys go under the run's prefix plus its own name. */
  const redisPrefix = (platform: Platform) =>
    `${testEnv().redisPrefix}consumer-${lane.name}-${platform}:`;
  const adopters = {} as Record<Platform, Adopter>;

  beforeAll(async () => {
    for (const platform of PLATFORM_NAMES) {
      adopters[platform] = bringUpAdopter({
        recipe: {
          name: `${lane.name}-${platform}`,
          layers: ['shared', platform, 'full'],
          dependencies: [...DEPENDENCIES, ...PLATFORMS[platform].dependencies],
          devDependencies: ['typescript', '@types/node', ...PLATFORMS[platform].devDependencies],
          pinned: lane.pinned,
          tsconfig: NODE_APP_TSCONFIG,
        },
        // At most 20 characters: fullnest11_fastify.
        databaseTag: `${lane.name.replace(/\W/g, '')}_${platform}`,
        // The cron every second, so the test sees a run within its deadline.
        env: { CLEANUP_CRON: '* * * * * *', REDIS_KEY_PREFIX: redisPrefix(platform) },
      });
    }
    await Promise.all(Object.values(adopters).map((adopter) => adopter.settled()));
  }, 300_000);

  afterAll(async () => {
    for (const [platform, adopter] of Object.entries(adopters)) {
      console.info(`consumer app ${lane.name}-${platform}: ${adopter.timings()}`);
    }
    closeAllSessionSockets();
    await Promise.all(Object.values(adopters).map((adopter) => adopter?.dispose()));
  });

  describe.each(PLATFORM_NAMES)(`full adopter (${lane.label}) on %s`, (platform) => {
    const server = (): Promise<DemoProcess> => adopters[platform].running;

    it("compiles with its own tsc, strict and checking the package's .d.ts", async () => {
      await adopters[platform].compiled;
    });

    it('starts as a real process with Redis and the gateway', async () => {
      await adopters[platform].started;
    });

    it('pushes SESSION_NEW to the socket of a device when the same user signs in elsewhere', async () => {
      const { baseUrl } = await server();
      const laptop = await adopterLogin(baseUrl, 'ada', DEFAULT_PASSWORD);
      const socket = await connectSessionSocket(baseUrl, laptop.accessToken, 'laptop');
      const phone = await adopterLogin(baseUrl, 'ada', DEFAULT_PASSWORD);
      const { payload } = await socket.waitFor(
        'SESSION_NEW',
        (p) => p.session.id === phone.sessionId,
      );
      expect(payload.session).toMatchObject({ id: phone.sessionId });
      socket.close();
    });

    it("delivers session.created to the app's own @OnEvent listener", async () => {
      const { baseUrl } = await server();
      const device = await adopterLogin(baseUrl, 'grace', DEFAULT_PASSWORD);
      const seen = await device.client.get('/observed-events/created');
      expectStatus(seen, 200);
      expect(seen.body).toContainEqual({
        userId: ADOPTER_USER_IDS.grace,
        sessionId: device.sessionId,
      });
    });

    it('with SessionAuthGuard global, @Public() routes stay open and the others need a token', async () => {
      const { baseUrl } = await server();
      const device = await adopterLogin(baseUrl, 'grace', DEFAULT_PASSWORD);
      expectError(await device.client.get('/observed-events/mine'), 401, 'ACCESS_TOKEN_MISSING');
      const mine = await device.client.get('/observed-events/mine', { token: device.accessToken });
      expectStatus(mine, 200);
      expect(mine.body).toContainEqual({
        userId: ADOPTER_USER_IDS.grace,
        sessionId: device.sessionId,
      });
      expect(mine.body.every((e: { userId: string }) => e.userId === ADOPTER_USER_IDS.grace)).toBe(
        true,
      );
    });

    it('subclasses SessionAuthGuard: its getRequest and getToken overrides run, from the packed .d.ts', async () => {
      const { baseUrl } = await server();
      const device = await adopterLogin(baseUrl, 'ada', DEFAULT_PASSWORD);
      const client = new ApiClient(baseUrl);
      // getToken: the token from the app's own header; getRequest: the answer is marked.
      const viaHeader = await client.get('/observed-events/mine', {
        headers: { 'x-access-token': device.accessToken },
      });
      expectStatus(viaHeader, 200);
      expect(viaHeader.headers.get('x-guarded-by')).toBe('AdopterGuard');
      expect(viaHeader.body).toContainEqual({
        userId: ADOPTER_USER_IDS.ada,
        sessionId: device.sessionId,
      });
      // The library's own checks still run behind the overrides: a bad token is refused.
      const forged = await client.get('/observed-events/mine', {
        headers: { 'x-access-token': `${device.accessToken}x` },
      });
      expectError(forged, 401, 'ACCESS_TOKEN_INVALID');
      expect(forged.headers.get('x-guarded-by')).toBe('AdopterGuard');
    });

    it("gives framework errors the library's shape through SessionAuthExceptionFilter", async () => {
      const { baseUrl } = await server();
      const client = new ApiClient(baseUrl);
      expectError(await client.get('/nowhere'), 404, 'NOT_FOUND');
      expectError(await client.post('/login', { body: '{"username":' }), 400, 'VALIDATION_FAILED');
    });

    it('keeps its Redis keys under the prefix it was configured with', async () => {
      const { baseUrl } = await server();
      const device = await adopterLogin(baseUrl, 'ada', DEFAULT_PASSWORD);
      expectStatus(await device.client.get('/me', { token: device.accessToken }), 200);
      const keys = await withRedis(testEnv().redisUrl, (redis) =>
        scanKeys(redis, redisPrefix(platform)),
      );
      expect(keys.length).toBeGreaterThan(0);
    });

    it('runs the cleanup cron: an expired session ends and its socket is told why', async () => {
      const { baseUrl } = await server();
      const db = await adopters[platform].database;
      const device = await adopterLogin(baseUrl, 'grace', DEFAULT_PASSWORD);
      const socket = await connectSessionSocket(baseUrl, device.accessToken, 'expiring');
      await db.query(
        "UPDATE sessions SET idle_expires_at = now() - interval '1 minute' WHERE id = $1",
        [device.sessionId],
      );
      const { payload } = await socket.waitFor('SESSION_TERMINATED', undefined, 10_000);
      expect(payload).toEqual({ sessionId: device.sessionId, reason: 'EXPIRED' });
      // The socket is told after the row is updated.
      const [row] = await db.query<{ revoke_reason: string | null }>(
        'SELECT revoke_reason FROM sessions WHERE id = $1',
        [device.sessionId],
      );
      expect(row.revoke_reason).toBe('EXPIRED');
    });
  });
}
