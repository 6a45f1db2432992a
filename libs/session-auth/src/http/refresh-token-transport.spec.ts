import express, { type Request } from 'express';
import request from 'supertest';
import { type SessionAuthOptions } from '../config/session-auth.options.js';
import { resolveSessionAuthOptions } from '../config/resolve-options.js';
import type { IssuedSession } from '../sessions/session.service.js';
import { MAX_REFRESH_COOKIES, RefreshTokenTransport } from './refresh-token-transport.js';
import { DeviceProofService } from '../binding/device-proof.service.js';
import { DbscResponses } from '../binding/dbsc-responses.js';
import { FakeSessionCache } from '../test-fakes/fake-session-cache.js';
import { sessionContextOf } from './request-context.js';
import { sessionServiceOver } from '../test-fakes/service-internals.js';

const TOKEN = 'a'.repeat(43);
const OTHER = 'b'.repeat(43);

function transport(extra: SessionAuthOptions = {}): RefreshTokenTransport {
  const options = resolveSessionAuthOptions({ jwtSecret: 'x'.repeat(32), ...extra });
  return new RefreshTokenTransport(
    sessionServiceOver({
      options,
      proofs: new DeviceProofService(options, new FakeSessionCache()),
      dbsc: new DbscResponses(options, 'auth'),
    }),
  );
}

function req(headers: Record<string, string> = {}, body?: unknown): Request {
  return { headers, body } as unknown as Request;
}

const issued: IssuedSession = {
  userId: 'user-1',
  session: {
    id: '0b6f1c1e-3a52-4c1e-9d5e-2b0f3c3a9e11',
    deviceName: 'Laptop',
    browser: null,
    os: null,
    ip: null,
    createdAt: '2030-01-01T10:00:00.000Z',
    lastActiveAt: '2030-01-01T10:00:00.000Z',
    deviceBound: false,
    deviceKeySource: null,
    current: true,
  },
  accessToken: 'access.jwt.token',
  accessTokenExpiresAt: new Date('2030-01-01T10:15:00.000Z'),
  refreshToken: TOKEN,
  refreshTokenMaxAge: 3601,
};

/** Runs `write` or `clear` inside a real Express response and returns what the client received. */
async function respond(
  t: RefreshTokenTransport,
  action: 'write' | 'clear',
): Promise<{ setCookie: string[]; body: unknown }> {
  const app = express();
  app.post('/', (_req, res) => {
    if (action === 'write') res.json(t.write(res, issued));
    else {
      t.clear(res);
      res.status(204).end();
    }
  });
  const res = await request(app).post('/');
  const header = res.headers['set-cookie'] as unknown as string[] | undefined;
  return { setCookie: header ?? [], body: res.body };
}

describe('RefreshTokenTransport', () => {
  describe('read', () => {
    it('reads the refresh_token cookie with cookie transport (the default) and ignores the body', () => {
      const t = transport();

      expect(t.read(req({ cookie: `theme=dark; refresh_token=${TOKEN}` }))).toBe(TOKEN);
      expect(t.read(req({}, { refreshToken: OTHER }))).toBeUndefined();
    });

    it('uses the configured cookie name', () => {
      const t = transport({ cookieName: 'rt' });

      expect(t.read(req({ cookie: `refresh_token=${OTHER}; rt=${TOKEN}` }))).toBe(TOKEN);
    });

    it('reads only the body with body transport', () => {
      const t = transport({ refreshTransport: 'body' });

      expect(t.read(req({ cookie: `refresh_token=${OTHER}` }, { refreshToken: TOKEN }))).toBe(
        TOKEN,
      );
      expect(t.read(req({ cookie: `refresh_token=${OTHER}` }))).toBeUndefined();
    });

    it('prefers the cookie and falls back to the body with both', () => {
      const t = transport({ refreshTransport: 'both' });

      expect(t.read(req({ cookie: `refresh_token=${TOKEN}` }, { refreshToken: OTHER }))).toBe(
        TOKEN,
      );
      expect(t.read(req({}, { refreshToken: OTHER }))).toBe(OTHER);
    });

    it.each([[undefined], [null], ['refreshToken'], [[TOKEN]], [{}]])(
      'answers undefined for the body %p',
      (body) => {
        expect(transport({ refreshTransport: 'body' }).read(req({}, body))).toBeUndefined();
      },
    );

    it('readAll gives every duplicate of the cookie in header order, at most MAX_REFRESH_COOKIES (issue 19, L3)', () => {
      const t = transport({ refreshTransport: 'both' });
      const many = Array.from({ length: MAX_REFRESH_COOKIES + 2 }, (_, i) => `refresh_token=v${i}`);

      expect({
        duplicates: t.readAll(
          req({ cookie: `refresh_token=junk; theme=x; refresh_token=${TOKEN}` }),
        ),
        first: t.read(req({ cookie: `refresh_token=junk; refresh_token=${TOKEN}` })),
        bounded: t.readAll(req({ cookie: many.join('; ') })).length,
        body: t.readAll(req({}, { refreshToken: [TOKEN, OTHER] })),
        none: t.readAll(req({ cookie: 'refresh_token=' })),
      }).toEqual({
        duplicates: ['junk', TOKEN],
        first: 'junk',
        bounded: MAX_REFRESH_COOKIES,
        // A body array stays one (invalid) value: only cookies can be duplicated.
        body: [[TOKEN, OTHER]],
        none: [],
      });
    });

    it('passes a non-string body value through for the caller to refuse', () => {
      expect(transport({ refreshTransport: 'body' }).read(req({}, { refreshToken: 42 }))).toBe(42);
    });
  });

  describe('write', () => {
    it('sets an HttpOnly, Secure, SameSite=Strict cookie on /auth with Max-Age of the session', async () => {
      const { setCookie, body } = await respond(transport(), 'write');

      expect(setCookie).toHaveLength(1);
      const [cookie] = setCookie;
      expect(cookie).toMatch(new RegExp(`^refresh_token=${TOKEN};`));
      expect(cookie).toContain('Max-Age=3601');
      expect(cookie).toContain('Path=/auth');
      expect(cookie).toContain('HttpOnly');
      expect(cookie).toContain('Secure');
      expect(cookie).toContain('SameSite=Strict');
      expect(body).toEqual({
        accessToken: 'access.jwt.token',
        accessTokenExpiresAt: '2030-01-01T10:15:00.000Z',
        session: issued.session,
      });
    });

    it('keeps the Set-Cookie headers already set on an Express response', async () => {
      const app = express();
      app.post('/', (_req, res) => {
        res.append('Set-Cookie', 'theme=dark');
        res.json(transport().write(res, issued));
      });
      const res = await request(app).post('/');

      expect(res.headers['set-cookie']).toEqual([
        'theme=dark',
        expect.stringMatching(new RegExp(`^refresh_token=${TOKEN};`)),
      ]);
    });

    it("writes the cookie through a Fastify reply's header()", () => {
      const headers: [string, string][] = [];
      const reply = { header: (name: string, value: string) => headers.push([name, value]) };

      transport().write(reply, issued);

      expect(headers).toEqual([
        ['DPoP-Nonce', expect.stringMatching(/^[\w-]{27}$/)],
        // An unbound session is offered a DBSC registration, with a challenge for it.
        [
          'Secure-Session-Registration',
          expect.stringMatching(
            /^\(ES256\);path="\/auth\/dbsc\/registration";challenge="[\w-]{39}"$/,
          ),
        ],
        ['Cache-Control', 'no-store'],
        ['set-cookie', expect.stringContaining(`refresh_token=${TOKEN};`)],
      ]);
      expect(headers[3][1]).toContain('Max-Age=3601');
    });

    it('offers no proof nonce with deviceBinding off', () => {
      const headers: [string, string][] = [];
      const reply = { header: (name: string, value: string) => headers.push([name, value]) };

      transport({ deviceBinding: 'off' }).write(reply, issued);

      expect(headers.map(([name]) => name)).toEqual(['Cache-Control', 'set-cookie']);
      expect(headers[1][1]).toContain('Max-Age=3601');
    });

    it('marks the answer Cache-Control: no-store, whatever the transport (it carries tokens)', async () => {
      for (const refreshTransport of ['cookie', 'body', 'both'] as const) {
        const app = express();
        app.post('/', (_req, res) => {
          res.json(transport({ refreshTransport }).write(res, issued));
        });
        const res = await request(app).post('/');

        expect({ refreshTransport, cacheControl: res.headers['cache-control'] }).toEqual({
          refreshTransport,
          cacheControl: 'no-store',
        });
      }
    });

    it('honours cookieSecure: false and cookiePath', async () => {
      const { setCookie } = await respond(
        transport({ cookieSecure: false, cookiePath: '/api/auth' }),
        'write',
      );

      expect(setCookie[0]).toContain('Path=/api/auth');
      expect(setCookie[0]).not.toContain('Secure');
    });

    it('puts the token in the body and sets no cookie with body transport', async () => {
      const { setCookie, body } = await respond(transport({ refreshTransport: 'body' }), 'write');

      expect(setCookie).toEqual([]);
      expect(body).toMatchObject({ refreshToken: TOKEN });
    });

    it('does both with both', async () => {
      const { setCookie, body } = await respond(transport({ refreshTransport: 'both' }), 'write');

      expect(setCookie[0]).toMatch(/^refresh_token=/);
      expect(body).toMatchObject({ refreshToken: TOKEN });
    });
  });

  describe('clear', () => {
    it('expires the cookie with the same path and flags, and the DBSC bound credential', async () => {
      const { setCookie } = await respond(transport(), 'clear');

      expect(setCookie).toHaveLength(2);
      const [credential, refresh] = setCookie;
      expect(credential).toMatch(/^refresh_token-dbsc=;/);
      expect(refresh).toMatch(/^refresh_token=;/);
      for (const cookie of [credential, refresh]) {
        expect(cookie).toContain('Path=/auth');
        expect(cookie).toContain('Expires=Thu, 01 Jan 1970 00:00:00 GMT');
      }
    });

    it('leaves the DBSC credential alone with deviceBinding off', async () => {
      const { setCookie } = await respond(transport({ deviceBinding: 'off' }), 'clear');
      expect(setCookie).toEqual([expect.stringMatching(/^refresh_token=;/)]);
    });

    it('does nothing with body transport', async () => {
      expect((await respond(transport({ refreshTransport: 'body' }), 'clear')).setCookie).toEqual(
        [],
      );
    });
  });
});

describe('sessionContextOf', () => {
  it('takes the IP, the user agent, X-Device-Id and the device name', () => {
    const request = {
      ip: '203.0.113.7',
      headers: { 'user-agent': 'UA/1.0', 'x-device-id': 'device-1' },
    } as unknown as Request;

    expect(sessionContextOf(request, 'Laptop')).toEqual({
      ip: '203.0.113.7',
      userAgent: 'UA/1.0',
      deviceId: 'device-1',
      deviceName: 'Laptop',
    });
  });

  it('ignores a repeated X-Device-Id header', () => {
    const request = { headers: { 'x-device-id': ['a', 'b'] } } as unknown as Request;

    expect(sessionContextOf(request).deviceId).toBeUndefined();
  });
});
