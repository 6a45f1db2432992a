import {
  type DynamicModule,
  Global,
  type INestApplication,
  Module,
  type Type,
} from '@nestjs/common';
import { PATH_METADATA } from '@nestjs/common/constants.js';
import { NestFactory } from '@nestjs/core';
import { getDataSourceToken } from '@nestjs/typeorm';
import request from 'supertest';
import { MemorySessionCache } from './cache/memory-session-cache.js';
import { SessionCache } from './cache/session-cache.interface.js';
import { SessionAuthExceptionFilter } from './errors/session-auth-exception.filter.js';
import { SessionAuthController } from './http/session-auth.controller.js';
import { SESSION_AUTH_OPTIONS } from './session-auth.module-definition.js';
import { SessionAuthModule } from './session-auth.module.js';
import { SessionAuthOptionsError } from './config/session-auth.options.js';
import { SESSION_AUTH_RESOLVED_OPTIONS } from './session-auth.internal-tokens.js';
import type { ResolvedSessionAuthOptions } from './config/session-auth.options.js';
import { SessionService } from './sessions/session.service.js';

const SECRET = 'module-spec-secret-that-is-long-enough';

function controllersOf(module: DynamicModule): Type[] {
  return (module.controllers ?? []) as Type[];
}

/** The options provider forRoot adds: what the module will resolve and validate at start-up. */
function optionsProviderOf(module: DynamicModule): { provide: unknown; useValue?: unknown } {
  const provider = (module.providers ?? []).find(
    (p) => typeof p === 'object' && 'provide' in p && p.provide === SESSION_AUTH_OPTIONS,
  );
  expect(provider).toBeDefined();
  return provider as { provide: unknown; useValue?: unknown };
}

/**
 * Stands in for the app's TypeOrmModule: the library only needs a DataSource to be injectable.
 * Nothing in these tests reaches the database.
 */
@Global()
@Module({
  providers: [{ provide: getDataSourceToken(), useValue: {} }],
  exports: [getDataSourceToken()],
})
class FakeDataSourceModule {}

describe('SessionAuthModule.forRoot', () => {
  it('returns a dynamic module of SessionAuthModule with the controller mounted at /auth', () => {
    const module = SessionAuthModule.forRoot({ jwtSecret: SECRET });

    expect(module.module).toBe(SessionAuthModule);
    expect(controllersOf(module)).toEqual([SessionAuthController]);
    expect(Reflect.getMetadata(PATH_METADATA, controllersOf(module)[0])).toBe('auth');
    expect(module.global).toBe(false);
  });

  it('passes the options through, without the extras', () => {
    const module = SessionAuthModule.forRoot({
      jwtSecret: SECRET,
      accessTokenTtl: '5m',
      routePath: 'account',
      controller: true,
      isGlobal: true,
    });

    expect(optionsProviderOf(module).useValue).toEqual({ jwtSecret: SECRET, accessTokenTtl: '5m' });
  });

  it('mounts no controller with controller: false', () => {
    const module = SessionAuthModule.forRoot({ jwtSecret: SECRET, controller: false });

    expect(controllersOf(module)).toEqual([]);
  });

  it('mounts the session routes at a custom routePath without touching the library class', () => {
    const module = SessionAuthModule.forRoot({ jwtSecret: SECRET, routePath: 'account/sessions' });
    const [controller] = controllersOf(module);

    expect(controllersOf(module)).toHaveLength(1);
    expect(Reflect.getMetadata(PATH_METADATA, controller)).toBe('account/sessions');
    expect(controller.prototype).toBeInstanceOf(SessionAuthController);
    // The library's own class keeps its path, so two modules with different paths can coexist.
    expect(Reflect.getMetadata(PATH_METADATA, SessionAuthController)).toBe('auth');
  });

  it('gives each custom path its own controller class', () => {
    const [a] = controllersOf(SessionAuthModule.forRoot({ jwtSecret: SECRET, routePath: 'a' }));
    const [b] = controllersOf(SessionAuthModule.forRoot({ jwtSecret: SECRET, routePath: 'b' }));

    expect(a).not.toBe(b);
    expect(Reflect.getMetadata(PATH_METADATA, a)).toBe('a');
    expect(Reflect.getMetadata(PATH_METADATA, b)).toBe('b');
  });

  it('is global only when asked', () => {
    expect(SessionAuthModule.forRoot({ jwtSecret: SECRET, isGlobal: true }).global).toBe(true);
  });
});

describe('SessionAuthModule.forRootAsync', () => {
  it('honours the extras next to the factory', () => {
    const none = SessionAuthModule.forRootAsync({
      useFactory: () => ({ jwtSecret: SECRET }),
      controller: false,
    });
    const mounted = SessionAuthModule.forRootAsync({
      useFactory: () => ({ jwtSecret: SECRET }),
      routePath: 'me/devices',
    });

    expect(controllersOf(none)).toEqual([]);
    expect(Reflect.getMetadata(PATH_METADATA, controllersOf(mounted)[0])).toBe('me/devices');
  });
});

describe('SessionAuthModule in a Nest application', () => {
  let app: INestApplication | undefined;

  afterEach(async () => {
    await app?.close();
    app = undefined;
  });

  async function start(module: DynamicModule): Promise<INestApplication> {
    @Module({ imports: [FakeDataSourceModule, module] })
    class AppModule {}
    // abortOnError: false, or a start-up failure would end the Jest process instead of rejecting.
    app = await NestFactory.create(AppModule, { logger: false, abortOnError: false });
    app.useGlobalFilters(new SessionAuthExceptionFilter());
    await app.init();
    return app;
  }

  it('resolves every provider, with the in-memory cache when no Redis is configured', async () => {
    const started = await start(SessionAuthModule.forRoot({ jwtSecret: SECRET, bcryptRounds: 4 }));

    expect(started.get(SessionService)).toBeInstanceOf(SessionService);
    expect(started.get(SessionCache)).toBeInstanceOf(MemorySessionCache);
  });

  it('fails at start-up with an error naming a bad option', async () => {
    await expect(
      start(SessionAuthModule.forRoot({ jwtSecret: 'too short', bcryptRounds: 4 })),
    ).rejects.toThrow(SessionAuthOptionsError);
    await expect(
      start(SessionAuthModule.forRoot({ jwtSecret: 'too short', bcryptRounds: 4 })),
    ).rejects.toThrow(/"jwtSecret"/);
  });

  it('validates options given by forRootAsync too', async () => {
    await expect(
      start(
        SessionAuthModule.forRootAsync({
          useFactory: async () => ({ jwtSecret: SECRET, accessTokenTtl: 'soon' }),
        }),
      ),
    ).rejects.toThrow(/"accessTokenTtl"/);
  });

  it('serves the session routes at the custom routePath (and not at /auth)', async () => {
    const started = await start(
      SessionAuthModule.forRoot({ jwtSecret: SECRET, bcryptRounds: 4, routePath: 'account' }),
    );
    const server = started.getHttpServer();

    // Both answers come from the library before any database work.
    await request(server)
      .post('/account/refresh')
      .expect(401)
      .expect((res) => expect(res.body.code).toBe('REFRESH_TOKEN_MISSING'));
    await request(server)
      .get('/account/sessions')
      .expect(401)
      .expect((res) => expect(res.body.code).toBe('ACCESS_TOKEN_MISSING'));
    await request(server).post('/auth/refresh').expect(404);
    // The refresh cookie must reach the moved refresh route.
    expect(started.get<ResolvedSessionAuthOptions>(SESSION_AUTH_RESOLVED_OPTIONS).cookiePath).toBe(
      '/account',
    );
  });

  it('serves no session routes with controller: false', async () => {
    const started = await start(
      SessionAuthModule.forRoot({ jwtSecret: SECRET, bcryptRounds: 4, controller: false }),
    );

    await request(started.getHttpServer()).post('/auth/refresh').expect(404);
  });
});
