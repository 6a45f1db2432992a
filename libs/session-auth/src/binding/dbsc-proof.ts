import { parseCompactJws, type ParsedJws, verifyEs256 } from './compact-jws.js';
import { type DeviceKey, readDeviceJwk } from './device-jwk.js';

/**
 * A DBSC proof (W3C "Device Bound Session Credentials" draft, section "DBSC Proof JWT Syntax"):
 * header `typ: dbsc+jwt`, `alg`, and on registration the new key's `jwk`; payload `jti`, a copy of
 * the server's challenge. This server offers ES256 only (the registration header lists the
 * algorithms it takes, and the browser picks among them), so `RS256` and `none` are refused here
 * before any key is read.
 */
export const DBSC_JWT_TYPE = 'dbsc+jwt';

/** A registration JWT that passed every stateless check (its challenge is not yet checked). */
export interface DbscRegistrationProof {
  key: DeviceKey;
  /** The challenge the proof answers. */
  jti: string;
}

/** Longest `jti` taken: our challenges are 27 characters. */
const JTI = /^[\x21-\x7e]{1,128}$/;

/**
 * Checks a registration JWT (the `Secure-Session-Response` header of the registration request):
 * the shape, `typ`, `alg: ES256`, a public P-256 `jwk` in the header, the signature by that key and
 * a `jti`. Returns the proved key, or the problem as text.
 */
export function verifyDbscRegistration(raw: unknown): DbscRegistrationProof | string {
  const jws = readDbscJws(raw);
  if (typeof jws === 'string') return jws;
  const key = readDeviceJwk(jws.header.jwk);
  if (typeof key === 'string') return key;
  if (!verifyEs256(jws, key.key)) return 'signature does not verify';
  const jti = jtiOf(jws);
  return typeof jti === 'string' ? { key, jti } : jti.problem;
}

/**
 * Checks a refresh proof (the `Secure-Session-Response` header of the retried refresh request)
 * against the key stored at registration: the shape, `typ`, `alg: ES256`, the signature by
 * `key` and a `jti`. A refresh proof carries no `jwk` (the draft forbids it; one that does is
 * refused, whatever key it names). Returns the challenge it answers, or the problem as text.
 */
export function verifyDbscRefresh(raw: unknown, key: DeviceKey): { jti: string } | string {
  const jws = readDbscJws(raw);
  if (typeof jws === 'string') return jws;
  if ('jwk' in jws.header) return 'a refresh proof carries no jwk';
  if (!verifyEs256(jws, key.key)) return 'signature does not verify';
  const jti = jtiOf(jws);
  return typeof jti === 'string' ? { jti } : jti.problem;
}

/** Whether a refresh proof failed on its signature (the key is not the session's: theft). */
export function isSignatureProblem(problem: string): boolean {
  return problem === 'signature does not verify';
}

function readDbscJws(raw: unknown): ParsedJws | string {
  const jws = parseCompactJws(raw);
  if (typeof jws === 'string') return `proof is ${jws}`;
  if (jws.header.typ !== DBSC_JWT_TYPE) return `typ must be ${DBSC_JWT_TYPE}`;
  if (jws.header.alg !== 'ES256') return 'alg must be ES256';
  return jws;
}

function jtiOf(jws: ParsedJws): string | { problem: string } {
  const { jti } = jws.payload;
  return typeof jti === 'string' && JTI.test(jti)
    ? jti
    : { problem: 'jti is missing or malformed' };
}
