import { randomUUID } from 'node:crypto';
import { uniqueEmail } from '../support/auth.js';
import { type DemoProcess, startDemos, stopDemos } from '../support/demo-process.js';
import { DeviceKey } from '../support/device-key.mjs';
import { closeAllSessionSockets, connectSessionSocket } from '../support/sockets.js';
import { DbscClient, type DbscResponse, parseChallenge } from './dbsc-client.js';

// DBSC (W3C "Device Bound Session Credentials" draft) against the real demo, step by step, by a
// client with its own ES256 key: sign-in → Secure-Session-Registration → registration JWT →
// session configuration → refresh (403 + challenge, signed retry) → a new bound credential. The
// refresh cookie copied off the device is worthless without the key: presenting it is theft.
// Two instances of one deployment (one database and Redis): either checks what the other issued.

let a: DemoProcess;
let b: DemoProcess;

beforeAll(async () => {
  [a, b] = await startDemos({ name: 'dbsc' }, { name: 'dbsc' });
}, 300_000);

afterAll(async () => {
  closeAllSessionSockets();
  await stopDemos(a, b);
});

const CREDENTIAL = 'refresh_token-dbsc';

/** Signs up (no DPoP key: the session starts unbound) and keeps the access token. */
async function signedUp(demo: DemoProcess = a): Promise<DbscClient & { accessToken: string }> {
  const client = new DbscClient(demo.baseUrl);
  const response = await client.send('POST', '/auth/register', {
    json: { email: uniqueEmail('dbsc'), password: 'correct horse battery staple', name: 'D' },
  });
  expect(response.status).toBe(201);
  return Object.assign(client, { accessToken: response.body.accessToken as string });
}

/** Signed up and registered: the session is bound to the client's key through DBSC. */
async function registered(demo: DemoProcess = a): Promise<DbscClient & { accessToken: string }> {
  const client = await signedUp(demo);
  expect((await client.register()).status).toBe(200);
  return client;
}

function refreshAccess(client: DbscClient, cookies?: string): Promise<DbscResponse> {
  if (cookies === undefined) return client.send('POST', '/auth/refresh');
  return fetchAs(client.baseUrl, '/auth/refresh', { cookie: cookies });
}

async function fetchAs(
  baseUrl: string,
  path: string,
  headers: Record<string, string>,
): Promise<DbscResponse> {
  const response = await fetch(new URL(path, baseUrl), { method: 'POST', headers });
  const text = await response.text();
  return {
    status: response.status,
    body: text ? JSON.parse(text) : undefined,
    headers: response.headers,
    set: {},
  };
}

function sessionsOf(client: DbscClient & { accessToken: string }): Promise<DbscResponse> {
  return client.send('GET', '/auth/sessions', { token: client.accessToken });
}

it('follows the draft: registration header, registration JWT, configuration, challenge, signed retry', async () => {
  const client = await signedUp();

  // 1. Sign-in answers an unbound session with Secure-Session-Registration: ES256, path, challenge.
  expect(client.registration).toEqual({
    algorithms: ['ES256'],
    path: '/auth/dbsc/registration',
    challenge: expect.stringMatching(/^[\w-]{39}$/),
  });
  const before = client.cookies.get('refresh_token')!.value;

  // 2. Registration: a dbsc+jwt with the new key's jwk and the challenge in jti.
  const registration = await client.register();
  expect(registration.status).toBe(200);
  expect(registration.headers.get('cache-control')).toBe('no-store');
  const sessionId = (await sessionsOf(client)).body[0].id as string;
  expect(registration.body).toEqual({
    session_identifier: sessionId,
    refresh_url: '/auth/dbsc/refresh',
    scope: { include_site: false, scope_specification: [] },
    credentials: [
      { type: 'cookie', name: CREDENTIAL, attributes: 'Path=/auth; HttpOnly; SameSite=Strict' },
    ],
  });
  // The bound credential is set, and the refresh cookie from before the binding is spent.
  expect(registration.set[CREDENTIAL]).toMatch(/^\d+\.[\w-]{43}\.[\w-]{22}$/);
  expect(registration.set[CREDENTIAL]).toContain(client.key.thumbprint);
  expect(registration.set.refresh_token).toMatch(/\S/);
  expect(registration.set.refresh_token).not.toBe(before);
  expect((await sessionsOf(client)).body[0]).toMatchObject({
    deviceBound: true,
    deviceKeySource: 'dbsc',
  });

  // 3. Refresh: 403 with a challenge for this session, then the retry signed by the key.
  const credential = client.cookies.get(CREDENTIAL)!.value;
  const { first, retry } = await client.refresh();
  expect(first.status).toBe(403);
  expect(first.body.code).toBe('DBSC_PROOF_REQUIRED');
  expect(parseChallenge(first.headers.get('secure-session-challenge')!)).toEqual({
    value: expect.stringMatching(/^[\w-]{39}$/),
    id: sessionId,
  });
  expect(retry?.status).toBe(200);
  expect(retry?.body.session_identifier).toBe(sessionId);
  // 4. A new bound credential (the refresh cookie is not spent by a DBSC refresh).
  expect(retry?.set[CREDENTIAL]).toMatch(/^\d+\.[\w-]{43}\.[\w-]{22}$/);
  expect(retry?.set.refresh_token).toBeUndefined();
  expect(Number(retry!.set[CREDENTIAL].split('.')[0])).toBeGreaterThanOrEqual(
    Number(credential.split('.')[0]),
  );

  // 5. The app's own refresh works with both cookies, and no registration is offered again.
  const refreshed = await refreshAccess(client);
  expect(refreshed.status).toBe(200);
  expect(refreshed.headers.get('secure-session-registration')).toBeNull();
  // Its access token carries no cnf.jkt: the page cannot prove with the browser's DBSC key.
  const claims = JSON.parse(
    Buffer.from(refreshed.body.accessToken.split('.')[1], 'base64url').toString(),
  );
  expect(claims.cnf).toBeUndefined();
});

it('takes the refresh cookie copied without the bound credential for theft: refused, told, gone', async () => {
  const victim = await registered();
  const socket = await connectSessionSocket(a.baseUrl, victim.accessToken, 'dbsc-victim');
  const started = Date.now();

  const stolen = await refreshAccess(
    victim,
    `refresh_token=${victim.cookies.get('refresh_token')!.value}`,
  );

  expect(stolen.status).toBe(401);
  expect(stolen.body.code).toBe('REFRESH_TOKEN_REUSED');
  expect(stolen.body.message).toMatch(/key of the device/);
  const alert = await socket.waitFor('SESSION_REUSE_DETECTED', undefined, 1000);
  expect(alert.payload).toEqual({ sessionId: socket.sessionId, cause: 'device-key-mismatch' });
  expect(alert.at - started).toBeLessThan(1000);
  // The session is gone: the device's own refresh is refused, its DBSC session told to stop.
  expect((await refreshAccess(victim)).body.code).toBe('SESSION_REVOKED');
  const { first } = await victim.refresh();
  expect(first).toMatchObject({ status: 200, body: { continue: false } });
  expect(first.set[CREDENTIAL]).toBe('');
});

it('takes a DBSC refresh signed by another key for theft, on another instance too', async () => {
  const victim = await registered();
  const thief = new DbscClient(b.baseUrl, new DeviceKey());
  for (const [name, cookie] of victim.cookies) thief.cookies.set(name, { ...cookie });
  thief.config = victim.config;

  const { first, retry } = await thief.refresh();
  expect(first.status).toBe(403);
  expect(retry).toMatchObject({ status: 401, body: { code: 'REFRESH_TOKEN_REUSED' } });
  expect((await refreshAccess(victim)).body.code).toBe('SESSION_REVOKED');
});

it('refuses the bound credential of another session, or a forged one, as theft', async () => {
  const victim = await registered();
  const other = await registered();
  const refresh = `refresh_token=${victim.cookies.get('refresh_token')!.value}`;
  const foreign = `${CREDENTIAL}=${other.cookies.get(CREDENTIAL)!.value}`;

  expect((await refreshAccess(victim, `${refresh}; ${foreign}`)).body.code).toBe(
    'REFRESH_TOKEN_REUSED',
  );
  expect((await refreshAccess(victim)).body.code).toBe('SESSION_REVOKED');
  // The other session is untouched.
  expect((await refreshAccess(other)).status).toBe(200);

  const forged = await registered();
  const [expiry, thumbprint] = forged.cookies.get(CREDENTIAL)!.value.split('.');
  const fake = `${CREDENTIAL}=${Number(expiry) + 3600}.${thumbprint}.${'A'.repeat(22)}`;
  const cookie = `refresh_token=${forged.cookies.get('refresh_token')!.value}; ${fake}`;
  expect((await refreshAccess(forged, cookie)).body.code).toBe('REFRESH_TOKEN_REUSED');
});

it('checks on one instance what the other issued (stateless challenges and credentials)', async () => {
  const client = await signedUp(a);
  const onB = new DbscClient(b.baseUrl, client.key);
  for (const [name, cookie] of client.cookies) onB.cookies.set(name, { ...cookie });
  onB.registration = client.registration;
  expect((await onB.register()).status).toBe(200);

  const { retry } = await onB.refresh();
  expect(retry?.status).toBe(200);
  for (const [name, cookie] of onB.cookies) client.cookies.set(name, { ...cookie });
  expect((await refreshAccess(client)).status).toBe(200);
});

describe('a registration JWT that fails a check: 400 DBSC_REGISTRATION_INVALID, nothing stored', () => {
  const cases: [string, (client: DbscClient) => string, RegExp][] = [
    ['malformed', () => 'not-a-jwt', /not a compact JWS/],
    [
      'unsigned (alg: none)',
      (c) => {
        const [, p] = c.proof(c.registration!.challenge, { jwk: true }).split('.');
        const none = Buffer.from(JSON.stringify({ alg: 'none', typ: 'dbsc+jwt', jwk: c.key.jwk }));
        return `${none.toString('base64url')}.${p}.`;
      },
      /not a compact JWS/,
    ],
    [
      'alg none with a signature segment',
      (c) =>
        c.key.sign(
          { alg: 'none', typ: 'dbsc+jwt', jwk: c.key.jwk },
          { jti: c.registration!.challenge },
        ),
      /alg must be ES256/,
    ],
    [
      'signed by another key than its jwk',
      (c) =>
        new DeviceKey().sign(
          { alg: 'ES256', typ: 'dbsc+jwt', jwk: c.key.jwk },
          { jti: c.registration!.challenge },
        ),
      /signature does not verify/,
    ],
    [
      'a wrong typ',
      (c) =>
        c.key.sign(
          { alg: 'ES256', typ: 'JWT', jwk: c.key.jwk },
          { jti: c.registration!.challenge },
        ),
      /typ must be dbsc\+jwt/,
    ],
    ['without a jwk', (c) => c.proof(c.registration!.challenge), /jwk is not an object/],
    ['a made-up challenge', (c) => c.proof(randomUUID(), { jwk: true }), /not a fresh challenge/],
  ];

  it.each(cases)('%s', async (_name, make, detail) => {
    const client = await signedUp();
    const cookie = client.cookies.get('refresh_token')!.value;
    const response = await client.register(make(client));
    expect(response.status).toBe(400);
    expect(response.body.code).toBe('DBSC_REGISTRATION_INVALID');
    expect(response.body.message).toMatch(detail);
    expect(response.set).toEqual({});
    // Nothing stored: the session is unbound and its refresh cookie unspent.
    expect((await sessionsOf(client)).body[0]).toMatchObject({ deviceBound: false });
    expect(client.cookies.get('refresh_token')!.value).toBe(cookie);
    expect((await refreshAccess(client)).status).toBe(200);
  });

  it("refuses another session's challenge, and a challenge answered twice", async () => {
    const client = await signedUp();
    const other = await signedUp();
    const foreign = await client.register(
      client.proof(other.registration!.challenge, { jwk: true }),
    );
    expect(foreign.body.code).toBe('DBSC_REGISTRATION_INVALID');
    expect(foreign.body.message).toMatch(/not a fresh challenge/);

    const proof = client.proof(client.registration!.challenge, { jwk: true });
    expect((await client.register(proof)).status).toBe(200);
    const again = await client.register(proof);
    expect(again.status).toBe(400);
    expect(again.body.message).toMatch(/already answered/);
  });

  it('refuses a registration without the refresh cookie (REFRESH_TOKEN_MISSING) or header', async () => {
    const client = await signedUp();
    const proof = client.proof(client.registration!.challenge, { jwk: true });
    const noCookie = await fetchAs(a.baseUrl, '/auth/dbsc/registration', {
      'secure-session-response': `"${proof}"`,
    });
    expect(noCookie).toMatchObject({ status: 401, body: { code: 'REFRESH_TOKEN_MISSING' } });
    const noHeader = await client.send('POST', '/auth/dbsc/registration');
    expect(noHeader).toMatchObject({ status: 400, body: { code: 'DBSC_REGISTRATION_INVALID' } });
    expect((await sessionsOf(client)).body[0]).toMatchObject({ deviceBound: false });
  });
});

it('offers registration on refreshes of an unbound session, a fresh challenge each time', async () => {
  const client = await signedUp();
  const first = client.registration!.challenge;
  const refreshed = await refreshAccess(client);
  expect(refreshed.status).toBe(200);
  expect(client.registration!.challenge).not.toBe(first);
  expect((await client.register()).status).toBe(200);
});

it('refuses DBSC registration of a session a DPoP key bound (DEVICE_ALREADY_BOUND), nothing replaced', async () => {
  const client = new DbscClient(a.baseUrl);
  const signup = await client.send('POST', '/auth/register', {
    json: { email: uniqueEmail('dbsc'), password: 'correct horse battery staple' },
  });
  const challenge = client.registration!.challenge;
  const dpop = new DeviceKey();
  const url = `${a.baseUrl}/auth/refresh`;
  const proof = (nonce: string | null) => ({ dpop: dpop.proof('POST', url, { nonce }) });
  const bound = await client.send('POST', '/auth/refresh', {
    headers: proof(signup.headers.get('dpop-nonce')),
  });
  expect(bound.status).toBe(200);
  expect(bound.headers.get('secure-session-registration')).toBeNull();

  const response = await client.register(client.proof(challenge, { jwk: true }));
  expect(response).toMatchObject({ status: 409, body: { code: 'DEVICE_ALREADY_BOUND' } });
  const again = await client.send('POST', '/auth/refresh', {
    headers: proof(bound.headers.get('dpop-nonce')),
  });
  expect(again.status).toBe(200);
});

it('asks again (403, a new challenge) for a stale or replayed refresh proof, and answers continue:false for a wrong session id', async () => {
  const client = await registered();
  const { first, retry } = await client.refresh();
  expect(retry?.status).toBe(200);
  const used = parseChallenge(first.headers.get('secure-session-challenge')!)!.value;

  const replay = await client.refresh(() => client.proof(used));
  expect(replay.retry?.status).toBe(403);
  expect(replay.retry?.headers.get('secure-session-challenge')).toMatch(/^"[\w-]{39}";id=/);

  const made = await client.refresh(() => client.proof(randomUUID()));
  expect(made.retry?.status).toBe(403);

  const wrong = await client.send('POST', '/auth/dbsc/refresh', {
    headers: { 'sec-secure-session-id': `"${randomUUID()}"` },
  });
  expect(wrong).toMatchObject({ status: 200, body: { continue: false } });
  const missing = await client.send('POST', '/auth/dbsc/refresh');
  expect(missing).toMatchObject({ status: 400, body: { code: 'DBSC_REFRESH_INVALID' } });
  // None of that ended the session.
  expect((await client.refresh()).retry?.status).toBe(200);
  expect((await refreshAccess(client)).status).toBe(200);
});

it('clears the bound credential on sign-out, and the DBSC session ends (continue: false)', async () => {
  const client = await registered();
  const out = await client.send('POST', '/auth/logout', { token: client.accessToken });
  expect(out.status).toBe(204);
  expect(out.set[CREDENTIAL]).toBe('');
  expect(out.set.refresh_token).toBe('');
});
