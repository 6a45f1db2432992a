import {
  login,
  refreshWithBody,
  refreshWithCookie,
  register,
  type SignedIn,
} from '../support/auth.js';
import { type DemoProcess, startDemos, stopDemos } from '../support/demo-process.js';
import { testEnv } from '../support/env.js';
import { expectError, expectStatus } from '../support/expect-http.js';
import { decodeJwt, nowSeconds, signHmacJwt } from '../support/jwt.mjs';
import {
  closeAllSessionSockets,
  connectSessionSocket,
  lastEventReceivedAt,
  ownSessionIn,
  type RecordingSocket,
  refusedHandshake,
} from '../support/sockets.js';
import { eventually, sleep } from '../support/timing.js';

// The /sessions gateway across two instances sharing one Redis prefix: events raised by a request
// on A reach sockets connected to B (and the other way), and they reach only the user they concern.

const GRACE_SECONDS = 1;
/** The contract: a device on B hears about a sign-in through A within 2 s. */
const SESSION_NEW_DEADLINE_MS = 2_000;
/** How long the bystander keeps listening after the last event of the suite. */
const QUIET_PERIOD_MS = 1_500;

let a: DemoProcess;
let b: DemoProcess;
/** Another user, connected on both instances for the whole file: must hear nothing of the others. */
let bystander: SignedIn;
let bystanderSockets: RecordingSocket[];

beforeAll(async () => {
  const env = { REUSE_GRACE_SECONDS: String(GRACE_SECONDS) };
  [a, b] = await startDemos({ name: 'gateway', env }, { name: 'gateway', env });
  bystander = await register(a.baseUrl, { deviceName: 'Bystander laptop' });
  bystanderSockets = [
    await connectSessionSocket(a.baseUrl, bystander.accessToken, 'bystander on A'),
    await connectSessionSocket(b.baseUrl, bystander.accessToken, 'bystander on B'),
  ];
});

afterAll(async () => {
  closeAllSessionSockets();
  await stopDemos(a, b);
});

/** A user signed in twice through A (device 1 registers, device 2 logs in). */
async function userWithTwoDevices(): Promise<[SignedIn, SignedIn]> {
  const device1 = await register(a.baseUrl, { deviceName: 'Laptop' });
  const device2 = await login(a.baseUrl, device1.email, device1.password, { deviceName: 'Phone' });
  return [device1, device2];
}

function ids(sessions: { id: string }[]): string[] {
  return sessions.map((s) => s.id).sort();
}

describe('events across instances', () => {
  it(`a device on B receives SESSION_NEW within ${SESSION_NEW_DEADLINE_MS} ms of a sign-in through A`, async () => {
    const device1 = await register(a.baseUrl, { deviceName: 'Laptop' });
    const socket1 = await connectSessionSocket(b.baseUrl, device1.accessToken, 'device 1 on B');

    const before = Date.now();
    const device2 = await login(a.baseUrl, device1.email, device1.password, {
      deviceName: 'Phone',
    });
    const received = await socket1.waitFor(
      'SESSION_NEW',
      (p) => p.session.id === device2.session.id,
      SESSION_NEW_DEADLINE_MS + 3_000,
    );
    const latencyMs = received.at - before;
    console.log(`SESSION_NEW from a login on A reached a socket on B in ${latencyMs} ms`);

    expect(latencyMs).toBeLessThanOrEqual(SESSION_NEW_DEADLINE_MS);
    expect(received.payload.session).toMatchObject({ id: device2.session.id, deviceName: 'Phone' });
    // The list that follows shows both devices; it is the same for every device (no `current`),
    // and device 1 finds itself by its session id.
    const list = await socket1.waitFor('SESSIONS_UPDATED', (p) => p.sessions.length === 2);
    expect(ids(list.payload.sessions)).toEqual(ids([device1.session, device2.session]));
    expect(list.payload.sessions.filter((s) => 'current' in s)).toEqual([]);
    expect(ownSessionIn(socket1, list.payload.sessions)?.id).toBe(device1.session.id);
    expect(socket1.disconnects).toEqual([]);
  });

  it('terminating a session through A tells its socket on B, disconnects it, and updates the other device', async () => {
    const [device1, device2] = await userWithTwoDevices();
    const socket1 = await connectSessionSocket(b.baseUrl, device1.accessToken, 'device 1 on B');
    const socket2 = await connectSessionSocket(a.baseUrl, device2.accessToken, 'device 2 on A');

    const deleted = await device2.client.delete(`/auth/sessions/${device1.session.id}`, {
      token: device2.accessToken,
    });
    expectStatus(deleted, 204);

    const terminated = await socket1.waitFor('SESSION_TERMINATED');
    expect(terminated.payload).toEqual({ sessionId: device1.session.id, reason: 'TERMINATED' });
    const disconnect = await socket1.waitForDisconnect();
    expect(disconnect.reason).toBe('io server disconnect');
    expect(disconnect.at).toBeGreaterThanOrEqual(terminated.at);
    expect(socket1.socket.connected).toBe(false);

    const update = await socket2.waitFor(
      'SESSIONS_UPDATED',
      (p) => !p.sessions.some((s) => s.id === device1.session.id),
    );
    expect(update.payload.sessions).toEqual([expect.objectContaining({ id: device2.session.id })]);
    expect(ownSessionIn(socket2, update.payload.sessions)).toBeDefined();
    // The remaining device is told about the change, not terminated.
    expect(socket2.eventsNamed('SESSION_TERMINATED')).toEqual([]);
    expect(socket2.socket.connected).toBe(true);
    expect(socket2.disconnects).toEqual([]);
  });

  it('a normal refresh rotation disconnects no socket', async () => {
    const [device1, device2] = await userWithTwoDevices();
    const socket1 = await connectSessionSocket(b.baseUrl, device1.accessToken, 'device 1 on B');
    const socket2 = await connectSessionSocket(a.baseUrl, device2.accessToken, 'device 2 on A');

    expectStatus(await refreshWithCookie(device1.client), 200);
    expectStatus(await refreshWithBody(device2.client, device2.refreshToken), 200);
    // Both rotations went through A; a third sign-in through A afterwards is a marker: anything the
    // rotations made A send (through the same Redis channel) reaches B before it.
    const device3 = await login(a.baseUrl, device1.email, device1.password, {
      deviceName: 'Tablet',
    });
    for (const socket of [socket1, socket2]) {
      await socket.waitFor('SESSION_NEW', (p) => p.session.id === device3.session.id);
      expect(socket.socket.connected).toBe(true);
      expect(socket.disconnects).toEqual([]);
      expect(socket.eventsNamed('SESSION_TERMINATED')).toEqual([]);
    }
  });

  it('a spent refresh token reused after the grace window alerts the user’s other device', async () => {
    const [device1, device2] = await userWithTwoDevices();
    const socket1 = await connectSessionSocket(a.baseUrl, device1.accessToken, 'device 1 on A');
    const socket2 = await connectSessionSocket(b.baseUrl, device2.accessToken, 'device 2 on B');
    const stolen = device1.refreshToken;
    expectStatus(await refreshWithBody(device1.client, stolen), 200);

    // Within the window a retry is harmless (it gets the same successor); once the window is over
    // the same token is theft. Retry until then instead of sleeping for a guessed time.
    await sleep(GRACE_SECONDS * 1000);
    await eventually(
      async () =>
        expectError(await refreshWithBody(device1.client, stolen), 401, 'REFRESH_TOKEN_REUSED'),
      { timeoutMs: 5_000, intervalMs: 200 },
    );

    const alert = await socket2.waitFor('SESSION_REUSE_DETECTED');
    expect(alert.payload).toEqual({ sessionId: device1.session.id, cause: 'token-reused' });
    // The stolen session ends: its own socket is told why and disconnected.
    const terminated = await socket1.waitFor('SESSION_TERMINATED');
    expect(terminated.payload).toEqual({
      sessionId: device1.session.id,
      reason: 'REUSE_DETECTED',
    });
    expect((await socket1.waitForDisconnect()).reason).toBe('io server disconnect');
    expect(socket2.socket.connected).toBe(true);
  });
});

describe('handshake', () => {
  it('refuses a missing token with ACCESS_TOKEN_MISSING', async () => {
    expect(await refusedHandshake(b.baseUrl, undefined)).toBe('ACCESS_TOKEN_MISSING');
    expect(await refusedHandshake(b.baseUrl, '')).toBe('ACCESS_TOKEN_MISSING');
  });

  it('refuses a garbage token with ACCESS_TOKEN_INVALID', async () => {
    expect(await refusedHandshake(b.baseUrl, 'not-a-jwt')).toBe('ACCESS_TOKEN_INVALID');
    const device = await register(a.baseUrl);
    // A real token with its signature replaced.
    const forged = device.accessToken.replace(/\.[^.]+$/, '.AAAA');
    expect(await refusedHandshake(b.baseUrl, forged)).toBe('ACCESS_TOKEN_INVALID');
  });

  it('refuses an expired token with ACCESS_TOKEN_EXPIRED', async () => {
    const device = await register(a.baseUrl);
    // The same claims, validly signed with the run's key, but expired a minute ago.
    const { header, payload } = decodeJwt(device.accessToken);
    expect(header.alg).toBe('HS256');
    const now = nowSeconds();
    const expired = signHmacJwt({ ...payload, iat: now - 120, exp: now - 60 }, testEnv().jwtSecret);
    expect(await refusedHandshake(b.baseUrl, expired)).toBe('ACCESS_TOKEN_EXPIRED');
    // Control: the unexpired original (same session) is accepted.
    (await connectSessionSocket(b.baseUrl, device.accessToken, 'control')).close();
  });

  it('refuses the token of a logged-out session with SESSION_REVOKED, on every instance', async () => {
    const device = await register(a.baseUrl);
    const socket = await connectSessionSocket(b.baseUrl, device.accessToken, 'device on B');

    expectStatus(await device.client.post('/auth/logout', { token: device.accessToken }), 204);

    // Its open socket on B is told and closed, and the token no longer opens one anywhere.
    expect((await socket.waitFor('SESSION_TERMINATED')).payload).toEqual({
      sessionId: device.session.id,
      reason: 'LOGOUT',
    });
    expect((await socket.waitForDisconnect()).reason).toBe('io server disconnect');
    expect(await refusedHandshake(a.baseUrl, device.accessToken)).toBe('SESSION_REVOKED');
    expect(await refusedHandshake(b.baseUrl, device.accessToken)).toBe('SESSION_REVOKED');
  });
});

describe('isolation', () => {
  it('another user’s sockets receive none of those events', async () => {
    // The other tests have fired their last event by now (or their sockets received it a moment
    // ago): keep listening for a while after that, so a late stray event would be caught too.
    const lastEventAt = Math.max(lastEventReceivedAt(), Date.now());
    await sleep(lastEventAt + QUIET_PERIOD_MS - Date.now());
    for (const socket of bystanderSockets) {
      expect({ label: socket.label, events: socket.events }).toEqual({
        label: socket.label,
        events: [],
      });
      // ...and they were listening the whole time.
      expect(socket.disconnects).toEqual([]);
    }

    // Control: the bystander's sockets do receive the bystander's own events, on both instances.
    const second = await login(b.baseUrl, bystander.email, bystander.password);
    for (const socket of bystanderSockets) {
      const received = await socket.waitFor('SESSION_NEW');
      expect(received.payload.session.id).toBe(second.session.id);
    }
  });
});
