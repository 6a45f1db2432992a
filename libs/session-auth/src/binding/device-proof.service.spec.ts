import { resolveSessionAuthOptions } from '../config/resolve-options.js';
import type { SessionAuthOptions } from '../config/session-auth.options.js';
import { FakeSessionCache } from '../test-fakes/fake-session-cache.js';
import { ProofSigner } from '../test-fakes/proof-signer.js';
import { type DeviceProofRequest, DeviceProofService } from './device-proof.service.js';

const URL = 'http://127.0.0.1:3000/auth/refresh';
const where = { method: 'POST', path: '/auth/refresh', host: '127.0.0.1:3000', protocol: 'http' };

function service(cache = new FakeSessionCache(), extra: SessionAuthOptions = {}) {
  const options = resolveSessionAuthOptions({ jwtSecret: 's'.repeat(32), ...extra });
  return new DeviceProofService(options, cache);
}
const request = (proof: string): DeviceProofRequest => ({ proof, ...where });
const code = (p: Promise<unknown>) =>
  p.then(
    () => 'accepted',
    (e: { code: string }) => e.code,
  );

describe('DeviceProofService', () => {
  const device = new ProofSigner();

  it('accepts a proof once: its jti replayed to another instance sharing the cache is refused', async () => {
    const cache = new FakeSessionCache();
    const [a, b] = [service(cache), service(cache)];
    const proof = device.proof('POST', URL, { nonce: a.issueNonce() });

    await expect(b.verify(request(proof), { nonce: true })).resolves.toHaveProperty('thumbprint');
    expect(await code(a.verify(request(proof), { nonce: true }))).toBe('DPOP_PROOF_REPLAYED');
    expect(await code(b.verify(request(proof), { nonce: true }))).toBe('DPOP_PROOF_REPLAYED');
  });

  it('still refuses a replay to the same instance while the cache does not answer', async () => {
    const cache = new FakeSessionCache();
    cache.available = false;
    const s = service(cache);
    const proof = device.proof('POST', URL, { nonce: s.issueNonce() });

    await s.verify(request(proof), { nonce: true });
    expect(await code(s.verify(request(proof), { nonce: true }))).toBe('DPOP_PROOF_REPLAYED');
  });

  it("takes another instance's nonce (stateless) but not another deployment's", async () => {
    const proof = (nonce: string) => request(device.proof('POST', URL, { nonce }));
    const elsewhere = service(new FakeSessionCache(), { jwtSecret: 'o'.repeat(32) });

    await expect(
      service().verify(proof(service().issueNonce()), { nonce: true }),
    ).resolves.toBeDefined();
    expect(await code(service().verify(proof(elsewhere.issueNonce()), { nonce: true }))).toBe(
      'DPOP_NONCE_REQUIRED',
    );
  });

  it('answers DPOP_PROOF_INVALID for a bad proof and says why', async () => {
    const error = await service()
      .verify(request(device.proof('GET', URL)), { nonce: false })
      .catch((e: Error & { code: string }) => e);
    expect(error).toMatchObject({
      code: 'DPOP_PROOF_INVALID',
      message: 'The device proof is not valid: htm does not match the request method.',
    });
  });

  it('ignores proofs entirely with deviceBinding off, and answers undefined without one', async () => {
    const off = service(new FakeSessionCache(), { deviceBinding: 'off' });
    expect(off.enabled).toBe(false);
    await expect(off.verify(request('garbage'), { nonce: true })).resolves.toBeUndefined();
    await expect(service().verify(undefined, { nonce: true })).resolves.toBeUndefined();
  });
});
