import type { ExecutionContext } from '@nestjs/common';
import { DeviceProofService } from '../binding/device-proof.service.js';
import { accessTokenHash } from '../binding/dpop-proof.js';
import { jwkThumbprint } from '../binding/device-jwk.js';
import { resolveSessionAuthOptions } from '../config/resolve-options.js';
import type { AuthenticatedSession } from '../sessions/session-verifier.js';
import { FakeSessionCache } from '../test-fakes/fake-session-cache.js';
import { ProofSigner } from '../test-fakes/proof-signer.js';
import { checkDeviceProof } from './device-proof-check.js';

const TOKEN = 'header.payload.signature';
const URL = 'http://api.example/me';
const device = new ProofSigner();
const proofs = new DeviceProofService(
  resolveSessionAuthOptions({ jwtSecret: 's'.repeat(32) }),
  new FakeSessionCache(),
);

function auth(jkt?: string): AuthenticatedSession {
  return {
    userId: 'u',
    sessionId: 's',
    authenticatedAt: 0,
    claims: { sub: 'u', sid: 's', jti: 'j', iat: 0, exp: 0, ...(jkt && { cnf: { jkt } }) },
  };
}

function call(
  dpop: string | undefined,
  jkt: string | undefined = jwkThumbprint(device.jwk as never),
) {
  const headers: Record<string, string> = { host: 'api.example' };
  if (dpop) headers.dpop = dpop;
  const request = { headers, method: 'GET', originalUrl: '/me', protocol: 'http' };
  const sent: Record<string, string> = {};
  const response = { header: (name: string, value: string) => (sent[name] = value) };
  const context = {
    getType: () => 'http',
    switchToHttp: () => ({ getRequest: () => request, getResponse: () => response }),
  } as unknown as ExecutionContext;
  const result = checkDeviceProof(proofs, context, request, TOKEN, auth(jkt)).then(
    () => 'allowed',
    (e: { code: string }) => e.code,
  );
  return { result, sent };
}

const proof = (claims: Record<string, unknown> = {}, signer = device) =>
  signer.proof('GET', URL, { nonce: proofs.issueNonce(), ath: accessTokenHash(TOKEN), ...claims });

describe('checkDeviceProof (@RequireDeviceProof)', () => {
  it("lets in a proof by the token's cnf.jkt key that names the token, and hands out a nonce", async () => {
    const { result, sent } = call(proof());
    expect(await result).toBe('allowed');
    expect(sent['DPoP-Nonce']).toMatch(/^[\w-]{27}$/);
  });

  it('refuses the access token alone, or with a proof by another key', async () => {
    expect(await call(undefined).result).toBe('DPOP_PROOF_INVALID');
    expect(await call(proof({}, new ProofSigner())).result).toBe('DPOP_PROOF_INVALID');
  });

  it('refuses a proof for another access token (ath) or without a fresh nonce', async () => {
    expect(await call(proof({ ath: accessTokenHash('other') })).result).toBe('DPOP_PROOF_INVALID');
    expect(await call(proof({ nonce: undefined })).result).toBe('DPOP_NONCE_REQUIRED');
  });

  it('refuses a session that is not bound (no cnf.jkt in its token)', async () => {
    expect(await call(proof(), '').result).toBe('DEVICE_KEY_REQUIRED');
  });
});
