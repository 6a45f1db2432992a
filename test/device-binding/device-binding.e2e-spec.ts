import { me, register, uniqueEmail, type SignedIn } from '../support/auth.js';
import { type DemoProcess, startDemos, stopDemos } from '../support/demo-process.js';
import { accessTokenHash, DeviceKey } from '../support/device-key.mjs';
import { expectError, expectStatus } from '../support/expect-http.js';
import { ApiClient, type ApiResponse } from '../support/http-client.js';
import { request } from 'node:http';
import { closeAllSessionSockets, connectSessionSocket } from '../support/sockets.js';

// A session bound to a device key at sign-in (a DPoP proof, RFC 9449) refreshes only with a proof
// of that key: the refresh cookie copied off the device is worthless, and presenting it is theft.
// Two instances of one deployment (shared Redis) and one with deviceBinding 'required'.

let a: DemoProcess;
let b: DemoProcess;
let strict: DemoProcess;

beforeAll(async () => {
  [a, b, strict] = await startDemos(
    { name: 'device-binding' },
    { name: 'device-binding' },
    { name: 'device-binding-required', env: { DEVICE_BINDING: 'required' } },
  );
}, 300_000);

afterAll(async () => {
  closeAllSessionSockets();
  await stopDemos(a, b, strict);
});

/** A browser with a device key: signs in with a proof and keeps the last server nonce. */
class BoundDevice {
  readonly client: ApiClient;
  nonce: string | undefined;

  constructor(
    readonly demo: DemoProcess,
    readonly key: DeviceKey | null = new DeviceKey(),
  ) {
    this.client = new ApiClient(demo.baseUrl);
  }

  async register(): Promise<ApiResponse> {
    const headers: Record<string, string> = this.key
      ? { dpop: this.key.proof('POST', this.url('/auth/register')) }
      : {};
    const response = await this.client.post('/auth/register', {
      json: { email: uniqueEmail('bound'), password: 'correct horse battery staple', name: 'B' },
      headers,
    });
    this.keepNonce(response);
    return response;
  }

  /** POST /auth/refresh with the cookie and (when `proof`) a proof naming the last nonce. */
  async refresh(proof = true): Promise<ApiResponse> {
    const url = this.url('/auth/refresh');
    const headers: Record<string, string> =
      proof && this.key ? { dpop: this.key.proof('POST', url, { nonce: this.nonce }) } : {};
    const response = await this.client.post('/auth/refresh', { headers });
    this.keepNonce(response);
    return response;
  }

  url(path: string): string {
    return `${this.demo.baseUrl}${path}`;
  }

  private keepNonce(response: ApiResponse): void {
    this.nonce = response.headers.get('dpop-nonce') ?? this.nonce;
  }
}

async function signedIn(demo: DemoProcess = a): Promise<BoundDevice & { accessToken: string }> {
  const device = new BoundDevice(demo);
  const response = await device.register();
  expectStatus(response, 201);
  return Object.assign(device, { accessToken: response.body.accessToken as string });
}

it('signs in bound, hands out a nonce, and refreshes with proofs of the key', async () => {
  const device = await signedIn();
  expect(device.nonce).toMatch(/^[\w-]{27}$/);

  for (let i = 0; i < 3; i++) expectStatus(await device.refresh(), 200);
});

it('asks for a fresh nonce (DPOP_NONCE_REQUIRED) and takes the retry that names it', async () => {
  const device = await signedIn();
  device.nonce = undefined;

  const refused = await device.refresh();
  expectError(refused, 401, 'DPOP_NONCE_REQUIRED');
  expect(refused.headers.get('dpop-nonce')).toMatch(/^[\w-]{27}$/);
  expectStatus(await device.refresh(), 200);
});

it('takes the copied cookie without the key for theft: refused, the victim told, the session gone', async () => {
  const victim = await signedIn();
  const socket = await connectSessionSocket(a.baseUrl, victim.accessToken, 'victim');
  const thief = new BoundDevice(a, null);
  thief.client.refreshToken = victim.client.refreshToken;

  const started = Date.now();
  const stolen = await thief.refresh(false);

  expectError(stolen, 401, 'REFRESH_TOKEN_REUSED');
  expect(stolen.body.message).toMatch(/key of the device/);
  expect(stolen.cookies.refresh_token?.value ?? '').toBe('');
  const alert = await socket.waitFor('SESSION_REUSE_DETECTED', undefined, 1000);
  expect(alert.payload).toEqual({ sessionId: socket.sessionId, cause: 'device-key-mismatch' });
  expect(alert.at - started).toBeLessThan(1000);
  await socket.waitForDisconnect(1000);
  expectError(await me(victim.client, victim.accessToken), 401, 'SESSION_REVOKED');
  expectError(await victim.refresh(), 401, 'SESSION_REVOKED');
});

it('takes the copied cookie with a key of its own for theft too', async () => {
  const victim = await signedIn();
  const thief = new BoundDevice(a, new DeviceKey());
  thief.client.refreshToken = victim.client.refreshToken;
  thief.nonce = victim.nonce;

  expectError(await thief.refresh(), 401, 'REFRESH_TOKEN_REUSED');
  expectError(await victim.refresh(), 401, 'SESSION_REVOKED');
});

it('refuses a proof replayed to another instance, though its token is in the grace window', async () => {
  const device = await signedIn();
  const url = `${a.baseUrl}/auth/refresh`;
  const proof = device.key!.proof('POST', url, { nonce: device.nonce });
  const cookie = device.client.refreshToken;

  expectStatus(await device.client.post('/auth/refresh', { headers: { dpop: proof } }), 200);
  // The same request again, now to instance B (same Host, as behind one load balancer).
  const again = await postWithHost(b, '/auth/refresh', {
    host: new URL(a.baseUrl).host,
    cookie: `refresh_token=${cookie}`,
    dpop: proof,
  });
  expect(again).toMatchObject({ status: 401, body: { code: 'DPOP_PROOF_REPLAYED' } });
  // The device itself carries on.
  expectStatus(await device.refresh(), 200);
});

it('answers a grace-window retry only with a proof of the key', async () => {
  const device = await signedIn();
  const spent = device.client.refreshToken;
  const first = await device.refresh();
  expectStatus(first, 200);

  device.client.refreshToken = spent;
  const retry = await device.refresh();
  expectStatus(retry, 200);
  expect(retry.cookies.refresh_token.value).toBe(first.cookies.refresh_token.value);

  device.client.refreshToken = spent;
  expectError(await device.refresh(false), 401, 'REFRESH_TOKEN_REUSED');
});

it('refuses a bad proof without touching the session (DPOP_PROOF_INVALID)', async () => {
  const device = await signedIn();
  const response = await device.client.post('/auth/refresh', {
    headers: {
      dpop: device.key!.proof('GET', device.url('/auth/refresh'), { nonce: device.nonce }),
    },
  });
  expectError(response, 401, 'DPOP_PROOF_INVALID');
  expectStatus(await device.refresh(), 200);
});

it('leaves a session without a key unbound under optional, and binds it at its first proof', async () => {
  const plain: SignedIn = await register(a.baseUrl);
  const device = Object.assign(new BoundDevice(a, new DeviceKey()), { client: plain.client });
  expectStatus(await device.refresh(false), 200);
  expectStatus(await device.refresh(false), 200);

  expectStatus(await device.refresh(), 200); // binds (it carries the nonce of the last answer)
  expectError(await device.refresh(false), 401, 'REFRESH_TOKEN_REUSED');
});

it("refuses a sign-in without a key under 'required' (DEVICE_KEY_REQUIRED), and takes one with", async () => {
  const keyless = new BoundDevice(strict, null);
  expectError(await keyless.register(), 401, 'DEVICE_KEY_REQUIRED');

  const device = await signedIn(strict);
  expectStatus(await device.refresh(), 200);
});

describe('GET /me/export, a route with @RequireDeviceProof()', () => {
  /** GET /me/export with the access token and, when `proof` is given, a DPoP proof made by it. */
  async function exportAs(
    device: BoundDevice & { accessToken: string },
    proof?: (key: DeviceKey, url: string) => string,
  ): Promise<ApiResponse> {
    const headers: Record<string, string> = proof
      ? { dpop: proof(device.key!, device.url('/me/export')) }
      : {};
    const response = await device.client.get('/me/export', { token: device.accessToken, headers });
    device.nonce = response.headers.get('dpop-nonce') ?? device.nonce;
    return response;
  }
  const proofBy =
    (device: { accessToken: string; nonce: string | undefined }, extra = {}) =>
    (key: DeviceKey, url: string) =>
      key.proof('GET', url, {
        nonce: device.nonce,
        ath: accessTokenHash(device.accessToken),
        ...extra,
      });

  it('answers a bound session whose request proves its key and names the token (ath)', async () => {
    const device = await signedIn();
    const response = await exportAs(device, proofBy(device));
    expectStatus(response, 200);
    expect(response.body.user.email).toMatch(/^bound/);
    expect(response.body.sessions).toEqual([
      expect.objectContaining({ current: true, deviceBound: true, deviceKeySource: 'dpop' }),
    ]);
  });

  it('refuses the copied access token alone, a proof by another key or for another token', async () => {
    const device = await signedIn();
    const other = new DeviceKey();
    expectError(await exportAs(device), 401, 'DPOP_PROOF_INVALID');
    expectError(
      await exportAs(device, (_key, url) => proofBy(device)(other, url)),
      401,
      'DPOP_PROOF_INVALID',
    );
    expectError(
      await exportAs(device, proofBy(device, { ath: accessTokenHash('another.access.token') })),
      401,
      'DPOP_PROOF_INVALID',
    );
    // None of that touched the session: the device itself carries on.
    expectStatus(await exportAs(device, proofBy(device)), 200);
    expectStatus(await device.refresh(), 200);
  });

  it('asks for the nonce (DPOP_NONCE_REQUIRED, with DPoP-Nonce) and refuses a replayed proof', async () => {
    const device = await signedIn();
    const stale = await exportAs(device, proofBy(device, { nonce: undefined }));
    expectError(stale, 401, 'DPOP_NONCE_REQUIRED');
    expect(stale.headers.get('dpop-nonce')).toMatch(/^[\w-]{27}$/);

    const proof = proofBy(device)(device.key!, device.url('/me/export'));
    expectStatus(await exportAs(device, () => proof), 200);
    expectError(await exportAs(device, () => proof), 401, 'DPOP_PROOF_REPLAYED');
  });

  it('refuses an unbound session with DEVICE_KEY_REQUIRED, proof or not', async () => {
    const plain: SignedIn = await register(a.baseUrl);
    const device = Object.assign(new BoundDevice(a, new DeviceKey()), {
      client: plain.client,
      accessToken: plain.accessToken,
    });
    expectError(await exportAs(device), 401, 'DEVICE_KEY_REQUIRED');
    expectError(await exportAs(device, proofBy(device)), 401, 'DEVICE_KEY_REQUIRED');
  });
});

/** A POST with headers fetch will not send as given (`Host`): node:http. */
function postWithHost(
  demo: DemoProcess,
  path: string,
  headers: Record<string, string>,
): Promise<{ status: number; body: { code?: string } }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: demo.port, path, method: 'POST', headers });
    req.on('error', reject);
    req.on('response', (res) => {
      let text = '';
      res.on('data', (chunk: Buffer) => (text += chunk.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text || '{}') }));
    });
    req.end();
  });
}
