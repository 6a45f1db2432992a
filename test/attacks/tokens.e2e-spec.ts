import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { io } from 'socket.io-client';
import { login, me, refreshWithBody, register, type SignedIn } from '../support/auth.js';
import { type DemoProcess, startDemo } from '../support/demo-process.js';
import { testEnv } from '../support/env.js';
import { expectError, expectStatus } from '../support/expect-http.js';
import { ApiClient } from '../support/http-client.js';
import { decodeJwt, nowSeconds, signHmacJwt, signingInput } from '../support/jwt.mjs';
import {
  closeAllSessionSockets,
  connectSessionSocket,
  type RecordingSocket,
  refusedHandshake,
} from '../support/sockets.js';
import {
  attackerEcKeys,
  attackerRsaKeys,
  hmacWithClaimedAlg,
  signEs256,
  signRs256,
} from './forge.js';

// Attacks on access tokens and on the socket handshake. The demo signs HS256 with the run's secret
// and pins that algorithm; every forgery below carries the claims of a live session, so the only
// thing wrong with it is the forgery itself (the first test shows the same claims, honestly
// signed, are accepted). Each attack gets its documented 401 and code, and afterwards the server
// still serves and the victim is still signed in.

let demo: DemoProcess;
let client: ApiClient;
let victim: SignedIn;
/** The claims of the victim’s real access token. */
let claims: Record<string, unknown>;
/** A server the attacker controls, announced in jku/x5u headers: it records what it is asked. */
let attackerServer: Server;
let attackerUrl: string;
const attackerRequests: string[] = [];

beforeAll(async () => {
  demo = await startDemo({ name: 'attacks-tokens' });
  client = new ApiClient(demo.baseUrl);
  victim = await register(demo.baseUrl, { deviceName: 'Victim laptop' });
  claims = decodeJwt(victim.accessToken).payload;
  attackerServer = createServer((req, res) => {
    attackerRequests.push(`${req.method} ${req.url}`);
    res.writeHead(200, { 'content-type': 'application/json' }).end('{"keys":[]}');
  });
  await new Promise<void>((resolve) => attackerServer.listen(0, '127.0.0.1', resolve));
  attackerUrl = `http://127.0.0.1:${(attackerServer.address() as AddressInfo).port}`;
});

afterAll(async () => {
  closeAllSessionSockets();
  await new Promise((resolve) => attackerServer?.close(resolve));
  await demo?.stop();
});

afterEach(async () => {
  if (!demo) return;
  // The server keeps serving, and none of the attacks touched the victim's session.
  expectStatus(await client.get('/health'), 200);
  expectStatus(await me(victim.client, victim.accessToken), 200);
});

const secret = (): string => testEnv().jwtSecret;

describe('forged access tokens', () => {
  it('the victim’s claims signed with the real secret are accepted (the forgeries below are fair)', async () => {
    expectStatus(await me(client, signHmacJwt(claims, secret())), 200);
  });

  it.each(['none', 'None', 'NONE', 'nOnE'])(
    'alg "%s" without a signature is 401 ACCESS_TOKEN_INVALID',
    async (alg) => {
      const token = `${signingInput({ alg, typ: 'JWT' }, claims)}.`;
      expectError(await me(client, token), 401, 'ACCESS_TOKEN_INVALID');
    },
  );

  it('alg "none" with the original signature kept is 401 ACCESS_TOKEN_INVALID', async () => {
    const signature = victim.accessToken.split('.')[2];
    const token = `${signingInput({ alg: 'none', typ: 'JWT' }, claims)}.${signature}`;
    expectError(await me(client, token), 401, 'ACCESS_TOKEN_INVALID');
  });

  it('an RS256 token signed with an attacker’s key pair is 401 ACCESS_TOKEN_INVALID', async () => {
    const keys = attackerRsaKeys();
    expectError(await me(client, signRs256(claims, keys.privateKey)), 401, 'ACCESS_TOKEN_INVALID');
  });

  it('an ES256 token signed with an attacker’s key pair is 401 ACCESS_TOKEN_INVALID', async () => {
    const keys = attackerEcKeys();
    expectError(await me(client, signEs256(claims, keys.privateKey)), 401, 'ACCESS_TOKEN_INVALID');
  });

  it.each(['RS256', 'ES256', 'PS256'])(
    'HS/RS confusion: alg %s whose "signature" is an HMAC under the real secret is 401 ACCESS_TOKEN_INVALID',
    async (alg) => {
      const token = hmacWithClaimedAlg(claims, secret(), { alg });
      expectError(await me(client, token), 401, 'ACCESS_TOKEN_INVALID');
    },
  );

  it('a jwk header announcing the attacker’s public key is not trusted: 401 ACCESS_TOKEN_INVALID', async () => {
    const rsa = attackerRsaKeys();
    const ec = attackerEcKeys();
    const forgeries = [
      signRs256(claims, rsa.privateKey, { jwk: rsa.jwk, kid: rsa.kid }),
      signEs256(claims, ec.privateKey, { jwk: ec.jwk, kid: ec.kid }),
      // An HMAC "key" in a symmetric JWK: {kty: oct, k: <attacker secret>}.
      signHmacJwt(claims, 'attacker-secret', 'HS256', {
        jwk: { kty: 'oct', k: Buffer.from('attacker-secret').toString('base64url') },
      }),
    ];
    for (const token of forgeries) {
      expectError(await me(client, token), 401, 'ACCESS_TOKEN_INVALID');
    }
  });

  it('jku and x5u headers are never fetched, and tokens signed with the key they point at are 401', async () => {
    const keys = attackerRsaKeys();
    const forgeries = [
      signRs256(claims, keys.privateKey, { jku: `${attackerUrl}/jwks.json`, kid: keys.kid }),
      signRs256(claims, keys.privateKey, { x5u: `${attackerUrl}/cert.pem`, kid: keys.kid }),
      signHmacJwt(claims, 'attacker-secret', 'HS256', { jku: `${attackerUrl}/jwks.json` }),
    ];
    for (const token of forgeries) {
      expectError(await me(client, token), 401, 'ACCESS_TOKEN_INVALID');
      expect(await refusedHandshake(demo.baseUrl, token)).toBe('ACCESS_TOKEN_INVALID');
    }
    expect(attackerRequests).toEqual([]);
  });

  it.each<[string, string, string]>([
    ['path traversal to an empty file', '../../../../../../dev/null', ''],
    ['path traversal to a public file', '../../../../../../etc/hostname', 'localhost\n'],
    ['SQL that would select a chosen key', "x' UNION SELECT 'attacker-key' --", 'attacker-key'],
    ['a command', '|echo attacker-key', 'attacker-key'],
  ])(
    'a kid with %s, signed with the key it would select, is 401 ACCESS_TOKEN_INVALID',
    async (_, kid, key) => {
      const token = signHmacJwt(claims, key, 'HS256', { kid });
      expectError(await me(client, token), 401, 'ACCESS_TOKEN_INVALID');
    },
  );

  it('kid, jku, jwk and x5u select nothing: with the real secret the token verifies as if they were absent', async () => {
    const keys = attackerRsaKeys();
    const token = signHmacJwt(claims, secret(), 'HS256', {
      kid: 'attacker',
      jku: `${attackerUrl}/jwks.json`,
      x5u: `${attackerUrl}/cert.pem`,
      jwk: keys.jwk,
    });
    expectStatus(await me(client, token), 200);
    expect(attackerRequests).toEqual([]);
  });
});

describe('expired and not-yet-valid tokens', () => {
  it('exp in the past is 401 ACCESS_TOKEN_EXPIRED, on HTTP and at the socket handshake', async () => {
    const now = nowSeconds();
    const token = signHmacJwt({ ...claims, iat: now - 60, exp: now - 1 }, secret());
    expectError(await me(client, token), 401, 'ACCESS_TOKEN_EXPIRED');
    expect(await refusedHandshake(demo.baseUrl, token)).toBe('ACCESS_TOKEN_EXPIRED');
  });

  it('nbf in the future is 401 ACCESS_TOKEN_INVALID', async () => {
    const token = signHmacJwt({ ...claims, nbf: nowSeconds() + 3600 }, secret());
    expectError(await me(client, token), 401, 'ACCESS_TOKEN_INVALID');
    expect(await refusedHandshake(demo.baseUrl, token)).toBe('ACCESS_TOKEN_INVALID');
  });

  it('an iat in the future does not revive an expired token: 401 ACCESS_TOKEN_EXPIRED', async () => {
    const now = nowSeconds();
    const token = signHmacJwt({ ...claims, iat: now + 3600, exp: now - 1 }, secret());
    expectError(await me(client, token), 401, 'ACCESS_TOKEN_EXPIRED');
  });

  it('an iat an hour in the future (forged or a broken clock) is 401 ACCESS_TOKEN_INVALID', async () => {
    const now = nowSeconds();
    const token = signHmacJwt({ ...claims, iat: now + 3600, exp: now + 7200 }, secret());
    expectError(await me(client, token), 401, 'ACCESS_TOKEN_INVALID');
  });

  it('a token without exp (one that would never expire) is 401 ACCESS_TOKEN_INVALID', async () => {
    const { exp: _exp, ...forever } = claims;
    expectError(await me(client, signHmacJwt(forever, secret())), 401, 'ACCESS_TOKEN_INVALID');
  });

  it('an exp that is not a number is 401 ACCESS_TOKEN_INVALID', async () => {
    const token = signHmacJwt({ ...claims, exp: '99999999999' }, secret());
    expectError(await me(client, token), 401, 'ACCESS_TOKEN_INVALID');
  });
});

describe('tokens of users and sessions that are gone', () => {
  it('after DELETE /me the account’s tokens are refused: 401 SESSION_REVOKED, at the handshake too', async () => {
    const doomed = await register(demo.baseUrl);
    const second = await login(demo.baseUrl, doomed.email, doomed.password);

    expectStatus(await doomed.client.delete('/me', { token: doomed.accessToken }), 204);

    for (const token of [doomed.accessToken, second.accessToken]) {
      expectError(await me(client, token), 401, 'SESSION_REVOKED');
      expect(await refusedHandshake(demo.baseUrl, token)).toBe('SESSION_REVOKED');
    }
    expectError(await refreshWithBody(client, second.refreshToken), 401, 'SESSION_REVOKED');
    expectError(
      await client.post('/auth/login', {
        json: { email: doomed.email, password: doomed.password },
      }),
      401,
      'INVALID_CREDENTIALS',
    );
  });

  it('a validly signed token for the deleted user with a new session id is 401 SESSION_REVOKED', async () => {
    const doomed = await register(demo.baseUrl);
    expectStatus(await doomed.client.delete('/me', { token: doomed.accessToken }), 204);
    const token = signHmacJwt(
      { ...decodeJwt(doomed.accessToken).payload, sid: randomUUID() },
      secret(),
    );
    expectError(await me(client, token), 401, 'SESSION_REVOKED');
  });

  it('a validly signed token for a random sub and sid is 401 SESSION_REVOKED', async () => {
    const token = signHmacJwt(
      { ...claims, sub: randomUUID(), sid: randomUUID(), jti: randomUUID() },
      secret(),
    );
    expectError(await me(client, token), 401, 'SESSION_REVOKED');
    expect(await refusedHandshake(demo.baseUrl, token)).toBe('SESSION_REVOKED');
  });

  it('a validly signed token pairing the victim’s session with another user is 401 SESSION_REVOKED', async () => {
    const attacker = await register(demo.baseUrl);
    // The attacker's own sub with the victim's sid, and the victim's sub with the attacker's sid.
    const mixed = [
      signHmacJwt({ ...claims, sub: attacker.user.id }, secret()),
      signHmacJwt({ ...decodeJwt(attacker.accessToken).payload, sub: victim.user.id }, secret()),
    ];
    for (const token of mixed) {
      expectError(await me(client, token), 401, 'SESSION_REVOKED');
      expectError(await client.get('/auth/sessions', { token }), 401, 'SESSION_REVOKED');
    }
  });
});

describe('WebSocket handshakes', () => {
  it('the token of a logged-out or terminated session is refused with SESSION_REVOKED', async () => {
    const user = await register(demo.baseUrl);
    const other = await login(demo.baseUrl, user.email, user.password);
    const third = await login(demo.baseUrl, user.email, user.password);

    expectStatus(await user.client.post('/auth/logout', { token: user.accessToken }), 204);
    expectStatus(
      await other.client.delete(`/auth/sessions/${third.session.id}`, { token: other.accessToken }),
      204,
    );

    expect(await refusedHandshake(demo.baseUrl, user.accessToken)).toBe('SESSION_REVOKED');
    expect(await refusedHandshake(demo.baseUrl, third.accessToken)).toBe('SESSION_REVOKED');
    // Control: the user's remaining session still connects.
    (await connectSessionSocket(demo.baseUrl, other.accessToken, 'control')).close();
  });

  it('forged tokens are refused at the handshake with the same codes as over HTTP', async () => {
    const keys = attackerRsaKeys();
    expect(await refusedHandshake(demo.baseUrl, `${signingInput({ alg: 'none' }, claims)}.`)).toBe(
      'ACCESS_TOKEN_INVALID',
    );
    expect(await refusedHandshake(demo.baseUrl, signRs256(claims, keys.privateKey))).toBe(
      'ACCESS_TOKEN_INVALID',
    );
    expect(
      await refusedHandshake(demo.baseUrl, hmacWithClaimedAlg(claims, secret(), { alg: 'RS256' })),
    ).toBe('ACCESS_TOKEN_INVALID');
  });

  it('a socket opened with another user’s token only ever receives that user’s events, whatever ids it claims', async () => {
    const target = await register(demo.baseUrl, { deviceName: 'Target laptop' });
    const targetSocket = await connectSessionSocket(demo.baseUrl, target.accessToken, 'target');
    const intruder = await register(demo.baseUrl, { deviceName: 'Intruder laptop' });
    // The intruder connects with its own (valid) token but claims the target's ids every way a
    // client could: extra handshake fields and query parameters.
    const spy = recordRawSocket(demo.baseUrl, {
      auth: { token: intruder.accessToken, userId: target.user.id, sessionId: target.session.id },
      query: {
        userId: target.user.id,
        sessionId: target.session.id,
        room: `user:${target.user.id}`,
      },
    });
    await spy.connected;

    // The target's devices come and go: SESSION_NEW and SESSIONS_UPDATED for a phone, the
    // phone's SESSION_TERMINATED, then a tablet, whose list (computed after the phone ended) is
    // the last event of the target's before the control event below.
    const phone = await login(demo.baseUrl, target.email, target.password, { deviceName: 'Phone' });
    const phoneSocket = await connectSessionSocket(demo.baseUrl, phone.accessToken, 'target phone');
    expectStatus(
      await target.client.delete(`/auth/sessions/${phone.session.id}`, {
        token: target.accessToken,
      }),
      204,
    );
    await phoneSocket.waitFor('SESSION_TERMINATED');
    const tablet = await login(demo.baseUrl, target.email, target.password, {
      deviceName: 'Tablet',
    });
    await targetSocket.waitFor('SESSIONS_UPDATED', (p) =>
      p.sessions.some((s) => s.id === tablet.session.id),
    );

    // Then one event of the intruder's own, which must arrive (the spy was listening all along).
    const intruderPhone = await login(demo.baseUrl, intruder.email, intruder.password);
    await spy.waitForSessionNew(intruderPhone.session.id);

    const ownIds = new Set([intruder.user.id, intruder.session.id, intruderPhone.session.id]);
    const targetIds = [target.user.id, target.session.id, phone.session.id, tablet.session.id];
    for (const { event, payload } of spy.events) {
      const ids = JSON.stringify(payload).match(UUID_PATTERN) ?? [];
      expect({ event, foreign: ids.filter((id) => !ownIds.has(id)) }).toEqual({
        event,
        foreign: [],
      });
      expect(targetIds.some((id) => JSON.stringify(payload).includes(id))).toBe(false);
    }
    spy.close();
  });

  it('an oversized client message closes only that socket; the gateway keeps accepting others', async () => {
    const user = await register(demo.baseUrl);
    const bystander = await connectSessionSocket(demo.baseUrl, victim.accessToken, 'bystander');
    const socket: RecordingSocket = await connectSessionSocket(
      demo.baseUrl,
      user.accessToken,
      'big',
    );

    (socket.socket as unknown as { emit(event: string, data: string): void }).emit(
      'anything',
      'x'.repeat(200_000),
    );

    expect((await socket.waitForDisconnect()).reason).toMatch(/transport (close|error)/);
    expect(bystander.socket.connected).toBe(true);
    (await connectSessionSocket(demo.baseUrl, user.accessToken, 'again')).close();
    bystander.close();
  });
});

const UUID_PATTERN = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi;

/** A raw socket.io client with arbitrary handshake fields, recording every event it receives. */
function recordRawSocket(
  baseUrl: string,
  handshake: { auth: Record<string, unknown>; query: Record<string, string> },
) {
  const socket = io(`${baseUrl}/sessions`, {
    ...handshake,
    transports: ['websocket'],
    reconnection: false,
    forceNew: true,
    timeout: 5_000,
  });
  const events: { event: string; payload: unknown }[] = [];
  const waiters = new Set<() => void>();
  socket.onAny((event: string, payload: unknown) => {
    events.push({ event, payload });
    waiters.forEach((check) => check());
  });
  return {
    events,
    connected: new Promise<void>((resolve, reject) => {
      socket.once('connect', () => resolve());
      socket.once('connect_error', (error) => reject(new Error(`spy refused: ${error.message}`)));
    }),
    waitForSessionNew: (sessionId: string, timeoutMs = 5_000) =>
      new Promise<void>((resolve, reject) => {
        const check = () => {
          const found = events.some(
            (e) =>
              e.event === 'SESSION_NEW' &&
              (e.payload as { session: { id: string } }).session.id === sessionId,
          );
          if (!found) return;
          clearTimeout(timer);
          waiters.delete(check);
          resolve();
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(
            new Error(`spy: no SESSION_NEW for ${sessionId}; received ${JSON.stringify(events)}`),
          );
        }, timeoutMs);
        waiters.add(check);
        check();
      }),
    close: () => socket.close(),
  };
}
