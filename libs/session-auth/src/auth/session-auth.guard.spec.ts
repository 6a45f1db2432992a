import { jest } from '@jest/globals';
import type { ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { WsException } from '@nestjs/websockets';
import { Public } from './public.decorator.js';
import { RequireFreshSession } from './require-fresh-session.decorator.js';
import { SessionAuthError } from '../errors/session-auth.error.js';
import { REQUEST_AUTH_KEY } from '../session-auth.constants.js';
import { attachedAuth } from './attached-auth.js';
import type { AuthenticatedSession, SessionVerifier } from '../sessions/session-verifier.js';
import { sessionServiceOver } from '../test-fakes/service-internals.js';
import { SessionAuthGuard } from './session-auth.guard.js';
import { rejectionCode } from '../../../../test/support/rejection.js';

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

const SESSION_ID = '0b6f1c1e-3a52-4c1e-9d5e-2b0f3c3a9e11';

function principal(overrides: Partial<AuthenticatedSession> = {}): AuthenticatedSession {
  return {
    userId: 'user-1',
    sessionId: SESSION_ID,
    authenticatedAt: Date.now() - 1000,
    claims: { sub: 'user-1', sid: SESSION_ID, jti: 'j', iat: 0, exp: 0 },
    ...overrides,
  };
}

function fakeSessions(auth: AuthenticatedSession | Error = principal()) {
  const verifyAccessToken = jest.fn(async (token: string | undefined) => {
    if (!token) throw new SessionAuthError('ACCESS_TOKEN_MISSING');
    if (token !== 'good-token') throw new SessionAuthError('ACCESS_TOKEN_INVALID');
    if (auth instanceof Error) throw auth;
    return auth;
  });
  // No local copy by default: the guard takes the waiting path, as on a first request.
  const verifyAccessTokenLocally = jest.fn(
    (_token: string | undefined): AuthenticatedSession | undefined => undefined,
  );
  const noteActivity = jest.fn((_sessionId: string) => undefined);
  return { verifyAccessToken, verifyAccessTokenLocally, noteActivity };
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

/**
 * A SessionVerifier over the fakes, in the verifier's order: the local copy, else the waiting
 * check; then freshness; then activity (the verifier's own spec covers these rules).
 */
function verifierOver(sessions: ReturnType<typeof fakeSessions>): SessionVerifier {
  const admitted = (auth: AuthenticatedSession, freshSeconds: number | undefined) => {
    if (freshSeconds !== undefined && Date.now() - auth.authenticatedAt > freshSeconds * 1000)
      throw new SessionAuthError('SESSION_NOT_FRESH');
    sessions.noteActivity(auth.sessionId);
    return auth;
  };
  const admit = (token: string | undefined, freshSeconds: number | undefined) => {
    const local = sessions.verifyAccessTokenLocally(token);
    if (local) return admitted(local, freshSeconds);
    return sessions.verifyAccessToken(token).then((auth) => admitted(auth, freshSeconds));
  };
  return { admit } as unknown as SessionVerifier;
}

function guardWith(sessions: ReturnType<typeof fakeSessions>) {
  return new SessionAuthGuard(
    sessionServiceOver({ verifier: verifierOver(sessions) }),
    new Reflector(),
  );
}

/** The guard's answer as a promise, whether it decided at once or waited. */
function activate(guard: SessionAuthGuard, ctx: ExecutionContext): Promise<boolean> {
  return Promise.resolve(guard.canActivate(ctx));
}

describe('SessionAuthGuard', () => {
  afterEach(() => jest.restoreAllMocks());

  it('verifies the Bearer token and leaves the principal on the request', async () => {
    const sessions = fakeSessions();
    const { ctx, request } = context({ authorization: 'Bearer good-token' });

    await expect(activate(guardWith(sessions), ctx)).resolves.toBe(true);

    expect(sessions.verifyAccessToken).toHaveBeenCalledWith('good-token');
    expect(request[REQUEST_AUTH_KEY]).toEqual(principal({ authenticatedAt: expect.any(Number) }));
    expect(sessions.noteActivity).toHaveBeenCalledWith(SESSION_ID);
  });

  it('reads the scheme case-insensitively and tolerates extra spaces', async () => {
    const sessions = fakeSessions();

    await activate(guardWith(sessions), context({ authorization: '  bearer   good-token ' }).ctx);

    expect(sessions.verifyAccessToken).toHaveBeenCalledWith('good-token');
  });

  it('refuses a request without Authorization as ACCESS_TOKEN_MISSING', async () => {
    const sessions = fakeSessions();
    const { ctx, request } = context({});

    expect(await rejectionCode(activate(guardWith(sessions), ctx))).toBe('ACCESS_TOKEN_MISSING');
    expect(request[REQUEST_AUTH_KEY]).toBeUndefined();
    expect(sessions.noteActivity).not.toHaveBeenCalled();
  });

  it.each(['Basic dXNlcjpwYXNz', 'Bearer', 'good-token extra', 'Bearer a b'])(
    'treats the malformed header %j as an invalid token, not a missing one',
    async (authorization) => {
      const sessions = fakeSessions();

      expect(
        await rejectionCode(activate(guardWith(sessions), context({ authorization }).ctx)),
      ).toBe('ACCESS_TOKEN_INVALID');
      expect(sessions.verifyAccessToken).toHaveBeenCalledWith(expect.any(String));
    },
  );

  it('lets @Public() routes and controllers through without looking at any token', async () => {
    const sessions = fakeSessions();
    const guard = guardWith(sessions);

    await expect(activate(guard, context({}, Routes.prototype.publicRoute).ctx)).resolves.toBe(
      true,
    );
    await expect(
      activate(guard, context({}, PublicRoutes.prototype.anything, PublicRoutes).ctx),
    ).resolves.toBe(true);
    expect(sessions.verifyAccessToken).not.toHaveBeenCalled();
  });

  describe('@RequireFreshSession()', () => {
    it('lets a recent sign-in through', async () => {
      const sessions = fakeSessions(principal({ authenticatedAt: Date.now() - 60_000 }));
      const { ctx } = context({ authorization: 'Bearer good-token' }, Routes.prototype.sensitive);

      await expect(activate(guardWith(sessions), ctx)).resolves.toBe(true);
    });

    it('refuses an old sign-in with SESSION_NOT_FRESH', async () => {
      const sessions = fakeSessions(principal({ authenticatedAt: Date.now() - 301_000 }));
      const { ctx, request } = context(
        { authorization: 'Bearer good-token' },
        Routes.prototype.sensitive,
      );

      expect(await rejectionCode(activate(guardWith(sessions), ctx))).toBe('SESSION_NOT_FRESH');
      expect(request[REQUEST_AUTH_KEY]).toBeUndefined();
    });

    it('does not apply to routes without it', async () => {
      const sessions = fakeSessions(principal({ authenticatedAt: 0 }));

      await expect(
        activate(guardWith(sessions), context({ authorization: 'Bearer good-token' }).ctx),
      ).resolves.toBe(true);
    });
  });

  describe('WebSocket messages', () => {
    it("verifies the handshake's auth.token and leaves the principal on the socket", async () => {
      const sessions = fakeSessions(principal());
      const { ctx, socket } = wsContext({ token: 'good-token' });

      await expect(activate(guardWith(sessions), ctx)).resolves.toBe(true);

      expect(sessions.verifyAccessToken).toHaveBeenCalledWith('good-token');
      expect(attachedAuth(ctx, socket)).toMatchObject({ sessionId: SESSION_ID });
      // Not on the socket itself, which outlives the message (issue 19).
      expect(socket[REQUEST_AUTH_KEY]).toBeUndefined();
    });

    it("a @Public() handler of the same socket does not see another message's session (issue 19)", async () => {
      const sessions = fakeSessions(principal());
      const { ctx, socket } = wsContext({ token: 'good-token' });
      await activate(guardWith(sessions), ctx);
      const publicCtx = {
        ...ctx,
        getHandler: () => Routes.prototype.publicRoute,
      } as unknown as ExecutionContext;

      await expect(activate(guardWith(sessions), publicCtx)).resolves.toBe(true);

      expect({
        guarded: attachedAuth(ctx, socket)?.sessionId,
        publicHandler: attachedAuth(publicCtx, socket),
      }).toEqual({ guarded: SESSION_ID, publicHandler: undefined });
    });

    it('forgets the session left for a handler when a later message to it is refused', async () => {
      const { ctx, socket } = wsContext({ token: 'good-token' });
      await activate(guardWith(fakeSessions(principal())), ctx);

      await activate(guardWith(fakeSessions(new SessionAuthError('SESSION_REVOKED'))), ctx).catch(
        () => undefined,
      );

      expect(attachedAuth(ctx, socket)).toBeUndefined();
    });

    it('refuses a message of a revoked session with a WsException carrying the code', async () => {
      const sessions = fakeSessions(new SessionAuthError('SESSION_REVOKED'));
      const { ctx } = wsContext({ token: 'good-token' });

      const error = await activate(guardWith(sessions), ctx).then(
        () => undefined,
        (e: unknown) => e,
      );

      expect(error).toBeInstanceOf(WsException);
      expect((error as WsException).getError()).toMatchObject({
        statusCode: 401,
        code: 'SESSION_REVOKED',
      });
    });

    it('treats a handshake without a token as ACCESS_TOKEN_MISSING', async () => {
      const sessions = fakeSessions(principal());
      const { ctx } = wsContext({});

      await activate(guardWith(sessions), ctx).catch(() => undefined);

      expect(sessions.verifyAccessToken).toHaveBeenCalledWith(undefined);
    });
  });

  describe('GraphQL resolvers', () => {
    it("reads the Bearer token of the context's req and leaves the principal there", async () => {
      const sessions = fakeSessions(principal());
      const { ctx, req } = graphqlContext({ authorization: 'Bearer good-token' });

      await expect(activate(guardWith(sessions), ctx)).resolves.toBe(true);

      expect(sessions.verifyAccessToken).toHaveBeenCalledWith('good-token');
      expect(req[REQUEST_AUTH_KEY]).toMatchObject({ sessionId: SESSION_ID });
    });

    it('lets a subclass pick the request from another context shape', async () => {
      const sessions = fakeSessions(principal());
      const req = { headers: { authorization: 'Bearer good-token' } };
      class CustomGuard extends SessionAuthGuard {
        protected override getRequest() {
          return req;
        }
      }
      const guard = new CustomGuard(
        sessionServiceOver({ verifier: verifierOver(sessions) }),
        new Reflector(),
      );

      await expect(activate(guard, graphqlContext({}).ctx)).resolves.toBe(true);
      expect(sessions.verifyAccessToken).toHaveBeenCalledWith('good-token');
    });
  });

  describe('deciding at once', () => {
    it('answers true without a promise when the session state is held locally', () => {
      const sessions = fakeSessions();
      sessions.verifyAccessTokenLocally.mockImplementation(() => principal());
      const { ctx, request } = context({ authorization: 'Bearer good-token' });

      expect(guardWith(sessions).canActivate(ctx)).toBe(true);
      expect(sessions.verifyAccessToken).not.toHaveBeenCalled();
      expect(request[REQUEST_AUTH_KEY]).toMatchObject({ sessionId: SESSION_ID });
      expect(sessions.noteActivity).toHaveBeenCalledWith(SESSION_ID);
    });

    it('refuses what the local check refuses, without asking further', async () => {
      const sessions = fakeSessions();
      sessions.verifyAccessTokenLocally.mockImplementation(() => {
        throw new SessionAuthError('SESSION_REVOKED');
      });
      const { ctx, request } = context({ authorization: 'Bearer good-token' });

      expect(await rejectionCode(activate(guardWith(sessions), ctx))).toBe('SESSION_REVOKED');
      expect(sessions.verifyAccessToken).not.toHaveBeenCalled();
      expect(request[REQUEST_AUTH_KEY]).toBeUndefined();
      expect(sessions.noteActivity).not.toHaveBeenCalled();
    });

    it('still applies @RequireFreshSession() to a locally verified session', async () => {
      const sessions = fakeSessions();
      const old = principal({ authenticatedAt: Date.now() - 3_600_000 });
      sessions.verifyAccessTokenLocally.mockImplementation(() => old);
      const { ctx } = context({ authorization: 'Bearer good-token' }, Routes.prototype.sensitive);

      expect(await rejectionCode(activate(guardWith(sessions), ctx))).toBe('SESSION_NOT_FRESH');
    });
  });
});
