import { jest } from '@jest/globals';
import type { ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { WsException } from '@nestjs/websockets';
import { Public } from './public.decorator.js';
import { RequireFreshSession } from './require-fresh-session.decorator.js';
import { REQUEST_AUTH_KEY } from '../session-auth.constants.js';
import { attachedAuth } from './attached-auth.js';
import type { SessionEntity } from '../persistence/session.entity.js';
import { disabledMetrics } from '../test-fakes/disabled-metrics.js';
import { SessionAuthGuard } from './session-auth.guard.js';
import { rejectionCode } from '../test-fakes/rejection-code.js';
import { sessionEntity } from '../test-fakes/session-entity.js';
import { verifierOverFakes } from '../test-fakes/verifier-over-fakes.js';

class Routes {
  open(): void {}
  @Public()
  publicRoute(): void {}
  @RequireFreshSession(300)
  sensitive(): void {}
}

@Public()
class PublicRoutes {
  anything(): void {}
}

const USER = 'user-1';
const SESSION_ID = '0b6f1c1e-3a52-4c1e-9d5e-2b0f3c3a9e11';

type Fixture = ReturnType<typeof verifierOverFakes>;

/**
 * The real SessionVerifier (and the token and state services below it) over a fake cache and an
 * in-memory table holding one session of USER, signed in `signedInSecondsAgo` ago (or the
 * overrides); `token` is a valid access token of it.
 */
function sessions(overrides: Partial<SessionEntity> = {}, signedInSecondsAgo = 1) {
  const fixture = verifierOverFakes();
  fixture.rows.set(
    SESSION_ID,
    sessionEntity({
      id: SESSION_ID,
      userId: USER,
      authenticatedAt: new Date(Date.now() - signedInSecondsAgo * 1000),
      ...overrides,
    }),
  );
  return { ...fixture, token: fixture.tokenFor(USER, SESSION_ID) };
}

function context(
  headers: Record<string, string | undefined>,
  handler: (...args: never[]) => unknown = Routes.prototype.open,
  controller: object = Routes,
) {
  const request: Record<string, unknown> = { headers };
  const ctx = {
    getType: () => 'http',
    getHandler: () => handler,
    getClass: () => controller,
    switchToHttp: () => ({ getRequest: () => request }),
  } as unknown as ExecutionContext;
  return { ctx, request };
}

/** A socket.io message context: the client is the socket, with the handshake's auth. */
function wsContext(auth: Record<string, unknown>) {
  const socket: Record<string, unknown> = { handshake: { auth, headers: {} } };
  const ctx = {
    getType: () => 'ws',
    getHandler: () => Routes.prototype.open,
    getClass: () => Routes,
    switchToWs: () => ({ getClient: () => socket, getData: () => ({}) }),
  } as unknown as ExecutionContext;
  return { ctx, socket };
}

/** A GraphQL resolver context: arguments are root, args, context (with `req`), info. */
function graphqlContext(headers: Record<string, string>) {
  const req: Record<string, unknown> = { headers };
  const args = [{}, {}, { req }, {}];
  const ctx = {
    getType: () => 'graphql',
    getHandler: () => Routes.prototype.open,
    getClass: () => Routes,
    getArgByIndex: (index: number) => args[index],
    getArgs: () => args,
  } as unknown as ExecutionContext;
  return { ctx, req };
}

function guardWith(fixture: Fixture) {
  return new SessionAuthGuard(fixture.verifier, new Reflector(), disabledMetrics());
}

/** Lets the not-awaited activity write run. */
const settleActivity = () => new Promise((resolve) => setImmediate(resolve));

/** The guard's answer as a promise, whether it decided at once or waited. */
function activate(guard: SessionAuthGuard, ctx: ExecutionContext): Promise<boolean> {
  return Promise.resolve(guard.canActivate(ctx));
}

describe('SessionAuthGuard over the real SessionVerifier', () => {
  afterEach(() => jest.restoreAllMocks());

  it('verifies the Bearer token and leaves the principal on the request', async () => {
    const s = sessions();
    const { ctx, request } = context({ authorization: `Bearer ${s.token}` });

    await expect(activate(guardWith(s), ctx)).resolves.toBe(true);

    expect(request[REQUEST_AUTH_KEY]).toMatchObject({
      userId: USER,
      sessionId: SESSION_ID,
      claims: { sub: USER, sid: SESSION_ID },
    });
    await settleActivity();
    expect(s.touch).toHaveBeenCalledWith(SESSION_ID);
  });

  it('reads the scheme case-insensitively and tolerates extra spaces', async () => {
    const s = sessions();
    const { ctx, request } = context({ authorization: `  bearer   ${s.token} ` });

    await expect(activate(guardWith(s), ctx)).resolves.toBe(true);
    expect(request[REQUEST_AUTH_KEY]).toMatchObject({ sessionId: SESSION_ID });
  });

  it('refuses a request without Authorization as ACCESS_TOKEN_MISSING', async () => {
    const s = sessions();
    const { ctx, request } = context({});

    expect(await rejectionCode(activate(guardWith(s), ctx))).toBe('ACCESS_TOKEN_MISSING');
    expect(request[REQUEST_AUTH_KEY]).toBeUndefined();
    await settleActivity();
    expect(s.touch).not.toHaveBeenCalled();
    expect(s.db.reads).toBe(0);
  });

  it.each([
    ['a Basic header', () => 'Basic dXNlcjpwYXNz'],
    ['a bare scheme', () => 'Bearer'],
    ['a token without the scheme', (token: string) => `${token} extra`],
    ['two tokens', (token: string) => `Bearer ${token} b`],
  ])('treats %s as an invalid token, not a missing one, reading no session', async (_, header) => {
    const s = sessions();
    const { ctx } = context({ authorization: header(s.token) });

    expect(await rejectionCode(activate(guardWith(s), ctx))).toBe('ACCESS_TOKEN_INVALID');
    expect(s.db.reads).toBe(0);
  });

  it('refuses the token of a revoked session with SESSION_REVOKED', async () => {
    const s = sessions({ revokedAt: new Date(), revokeReason: 'LOGOUT' });
    const { ctx, request } = context({ authorization: `Bearer ${s.token}` });

    expect(await rejectionCode(activate(guardWith(s), ctx))).toBe('SESSION_REVOKED');
    expect(request[REQUEST_AUTH_KEY]).toBeUndefined();
  });

  it('refuses (does not let through) when the session state cannot be read', async () => {
    const s = sessions();
    s.cache.available = false;
    s.db.failReads = new Error('connection terminated');
    const { ctx, request } = context({ authorization: `Bearer ${s.token}` });

    await expect(activate(guardWith(s), ctx)).rejects.toThrow('connection terminated');
    expect(request[REQUEST_AUTH_KEY]).toBeUndefined();
  });

  it('lets @Public() routes and controllers through without looking at any token', async () => {
    const s = sessions();
    const guard = guardWith(s);

    await expect(activate(guard, context({}, Routes.prototype.publicRoute).ctx)).resolves.toBe(
      true,
    );
    await expect(
      activate(guard, context({}, PublicRoutes.prototype.anything, PublicRoutes).ctx),
    ).resolves.toBe(true);
    expect(s.db.reads).toBe(0);
    expect(s.cache.calls).toEqual([]);
  });

  describe('@RequireFreshSession(300)', () => {
    it('lets a sign-in of 60 s ago through', async () => {
      const s = sessions({}, 60);
      const { ctx } = context({ authorization: `Bearer ${s.token}` }, Routes.prototype.sensitive);

      await expect(activate(guardWith(s), ctx)).resolves.toBe(true);
    });

    it('refuses a sign-in of 301 s ago with SESSION_NOT_FRESH, recording no activity', async () => {
      const s = sessions({}, 301);
      const { ctx, request } = context(
        { authorization: `Bearer ${s.token}` },
        Routes.prototype.sensitive,
      );

      expect(await rejectionCode(activate(guardWith(s), ctx))).toBe('SESSION_NOT_FRESH');
      expect(request[REQUEST_AUTH_KEY]).toBeUndefined();
      await settleActivity();
      expect(s.touch).not.toHaveBeenCalled();
    });

    it('does not apply to routes without it', async () => {
      const s = sessions({}, 30 * 86_400);

      await expect(
        activate(guardWith(s), context({ authorization: `Bearer ${s.token}` }).ctx),
      ).resolves.toBe(true);
    });
  });

  describe('WebSocket messages', () => {
    it("verifies the handshake's auth.token and leaves the principal for the handler", async () => {
      const s = sessions();
      const { ctx, socket } = wsContext({ token: s.token });

      await expect(activate(guardWith(s), ctx)).resolves.toBe(true);

      expect(attachedAuth(ctx, socket)).toMatchObject({ sessionId: SESSION_ID });
      // Not on the socket itself, which outlives the message (issue 19).
      expect(socket[REQUEST_AUTH_KEY]).toBeUndefined();
    });

    it("a @Public() handler of the same socket does not see another message's session (issue 19)", async () => {
      const s = sessions();
      const { ctx, socket } = wsContext({ token: s.token });
      await activate(guardWith(s), ctx);
      const publicCtx = {
        ...ctx,
        getHandler: () => Routes.prototype.publicRoute,
      } as unknown as ExecutionContext;

      await expect(activate(guardWith(s), publicCtx)).resolves.toBe(true);

      expect({
        guarded: attachedAuth(ctx, socket)?.sessionId,
        publicHandler: attachedAuth(publicCtx, socket),
      }).toEqual({ guarded: SESSION_ID, publicHandler: undefined });
    });

    it('forgets the session left for a handler when a later message is refused (revoked meanwhile)', async () => {
      const s = sessions();
      const guard = guardWith(s);
      const { ctx, socket } = wsContext({ token: s.token });
      await activate(guard, ctx);

      await s.state.markRevoked([{ id: SESSION_ID, userId: USER }]);
      await activate(guard, ctx).catch(() => undefined);

      expect(attachedAuth(ctx, socket)).toBeUndefined();
    });

    it.each([
      [
        'a revoked session',
        { revokedAt: new Date(), revokeReason: 'LOGOUT' as const },
        true,
        'SESSION_REVOKED',
      ],
      ['a handshake without a token', {}, false, 'ACCESS_TOKEN_MISSING'],
    ])(
      'refuses a message of %s with a WsException carrying the code',
      async (_, overrides, withToken, code) => {
        const s = sessions(overrides);
        const { ctx } = wsContext(withToken ? { token: s.token } : {});

        const error = await activate(guardWith(s), ctx).then(
          () => undefined,
          (e: unknown) => e,
        );

        expect(error).toBeInstanceOf(WsException);
        expect((error as WsException).getError()).toMatchObject({ statusCode: 401, code });
      },
    );
  });

  describe('GraphQL resolvers', () => {
    it("reads the Bearer token of the context's req and leaves the principal there", async () => {
      const s = sessions();
      const { ctx, req } = graphqlContext({ authorization: `Bearer ${s.token}` });

      await expect(activate(guardWith(s), ctx)).resolves.toBe(true);

      expect(req[REQUEST_AUTH_KEY]).toMatchObject({ sessionId: SESSION_ID });
    });

    it('lets a subclass pick the request from another context shape', async () => {
      const s = sessions();
      const req: Record<string, unknown> = { headers: { authorization: `Bearer ${s.token}` } };
      class CustomGuard extends SessionAuthGuard {
        protected override getRequest() {
          return req;
        }
      }
      const guard = new CustomGuard(s.verifier, new Reflector(), disabledMetrics());

      await expect(activate(guard, graphqlContext({}).ctx)).resolves.toBe(true);
      expect(req[REQUEST_AUTH_KEY]).toMatchObject({ sessionId: SESSION_ID });
    });
  });

  describe('deciding at once', () => {
    /** The guard, after one request that made this process hold the session's state. */
    async function warmed(s: ReturnType<typeof sessions>) {
      const guard = guardWith(s);
      await activate(guard, context({ authorization: `Bearer ${s.token}` }).ctx);
      expect(s.db.reads).toBe(1);
      return guard;
    }

    it('answers true without a promise when the session state is held locally', async () => {
      const s = sessions();
      const guard = await warmed(s);
      const { ctx, request } = context({ authorization: `Bearer ${s.token}` });

      expect(guard.canActivate(ctx)).toBe(true);
      expect(request[REQUEST_AUTH_KEY]).toMatchObject({ sessionId: SESSION_ID });
      expect(s.db.reads).toBe(1);
    });

    it('refuses what the held state refuses (a revocation marked in the cache), without asking further', async () => {
      const s = sessions();
      const guard = await warmed(s);
      await s.state.markRevoked([{ id: SESSION_ID, userId: USER }]);
      const { ctx, request } = context({ authorization: `Bearer ${s.token}` });

      expect(await rejectionCode(activate(guard, ctx))).toBe('SESSION_REVOKED');
      expect(s.db.reads).toBe(1);
      expect(request[REQUEST_AUTH_KEY]).toBeUndefined();
    });

    it('still applies @RequireFreshSession() to a locally verified session', async () => {
      const s = sessions({}, 3600);
      const guard = await warmed(s);
      const { ctx } = context({ authorization: `Bearer ${s.token}` }, Routes.prototype.sensitive);

      expect(await rejectionCode(activate(guard, ctx))).toBe('SESSION_NOT_FRESH');
      expect(s.db.reads).toBe(1);
    });
  });
});
