import type { HttpRequestLike, HttpResponseLike } from '../http/http-types.js';
import type { DeviceProofRequest } from './device-proof.service.js';

/** Response header that hands out the server nonce (RFC 9449 section 8). */
export const DPOP_NONCE_HEADER = 'DPoP-Nonce';

/** The `DPoP` header and the request it must be for; `undefined` when there is no such header. */
export function deviceProofOf(request: HttpRequestLike): DeviceProofRequest | undefined {
  const proof = request.headers.dpop;
  // Two DPoP headers are refused by the proof check (a list is not a JWT).
  if (proof === undefined) return undefined;
  const url = request.originalUrl ?? request.url ?? '';
  return {
    proof: Array.isArray(proof) ? proof.join(',') : proof,
    method: request.method ?? '',
    path: url.split('?')[0],
    host: firstValue(request.headers.host),
    protocol: request.protocol,
  };
}

/** Sets `DPoP-Nonce` (replacing any) on an Express, Fastify or plain Node response. */
export function setNonceHeader(response: HttpResponseLike, nonce: string): void {
  if (typeof response.header === 'function') response.header(DPOP_NONCE_HEADER, nonce);
  else if (typeof response.setHeader === 'function') response.setHeader(DPOP_NONCE_HEADER, nonce);
}

function firstValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
