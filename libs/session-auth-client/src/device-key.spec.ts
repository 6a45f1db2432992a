import { DeviceKey } from './device-key.js';
import { memoryKeyStore } from './device-key-store.js';

const URL = 'https://app.example/auth/refresh';

function decode(part: string): Record<string, unknown> {
  return JSON.parse(atob(part.replace(/-/g, '+').replace(/_/g, '/'))) as Record<string, unknown>;
}

describe('DeviceKey', () => {
  it('makes a non-extractable P-256 key per sign-in and keeps it once the server took it', async () => {
    const store = memoryKeyStore();
    const key = new DeviceKey(store);
    const pair = (await key.forSignIn())!;

    expect(pair.privateKey.extractable).toBe(false);
    await expect(crypto.subtle.exportKey('jwk', pair.privateKey)).rejects.toThrow();
    expect(await key.current()).toBeUndefined();
    await key.adopted();
    expect(await key.current()).toBe(pair);

    const next = await key.forSignIn();
    expect(next).not.toBe(pair);
    await key.forget();
    expect(await key.current()).toBeUndefined();
  });

  it('signs an RFC 9449 proof that verifies under the jwk it carries, with the last nonce', async () => {
    const key = new DeviceKey(memoryKeyStore());
    const pair = (await key.forSignIn())!;
    key.noteNonce(new Response(null, { headers: { 'DPoP-Nonce': 'n-1' } }));

    const proof = await key.proofHeader(pair, 'POST', `${URL}?q=1#f`);
    const [h, p, s] = proof.split('.');
    const header = decode(h);
    expect(header).toEqual({ typ: 'dpop+jwt', alg: 'ES256', jwk: expect.any(Object) });
    expect(decode(p)).toEqual({
      htm: 'POST',
      htu: URL,
      iat: expect.any(Number),
      jti: expect.stringMatching(/^[\w-]{36}$/),
      nonce: 'n-1',
    });
    const publicKey = await crypto.subtle.importKey(
      'jwk',
      header.jwk as JsonWebKey,
      { name: 'ECDSA', namedCurve: 'P-256' },
      false,
      ['verify'],
    );
    const signature = Uint8Array.from(atob(s.replace(/-/g, '+').replace(/_/g, '/')), (c) =>
      c.charCodeAt(0),
    );
    const valid = await crypto.subtle.verify(
      { name: 'ECDSA', hash: 'SHA-256' },
      publicKey,
      signature,
      new TextEncoder().encode(`${h}.${p}`),
    );
    expect(valid).toBe(true);
    expect(Object.keys(header.jwk as object).sort()).toEqual(['crv', 'kty', 'x', 'y']);
  });

  it('says why it cannot hold a key where IndexedDB is missing', async () => {
    const key = new DeviceKey(undefined);
    expect(key.support).toEqual({ supported: false, reason: 'IndexedDB is not available' });
    expect(await key.forSignIn()).toBeUndefined();
  });

  it('signs with the newest nonce any tab was handed (shared storage), so a tab that did not refresh last still has a fresh one', async () => {
    const kept = new Map<string, string>();
    const storage = {
      getItem: (k: string) => kept.get(k) ?? null,
      setItem: (k: string, v: string) => void kept.set(k, v),
    };
    const shared = { storage, key: 'nonce' };
    const [tabA, tabB] = [
      new DeviceKey(memoryKeyStore(), shared),
      new DeviceKey(memoryKeyStore(), shared),
    ];
    const pair = (await tabB.forSignIn())!;

    tabA.noteNonce(new Response(null, { headers: { 'DPoP-Nonce': 'from-a' } }));
    const [, claims] = (await tabB.proofHeader(pair, 'POST', URL)).split('.');
    expect(decode(claims).nonce).toBe('from-a');
  });
});
