import type { DeviceProofRequest } from '../binding/device-proof.service.js';
import type { SessionContext } from '../sessions/session-context.js';
import type { HttpRequestLike } from './http-types.js';

/**
 * The session context of an HTTP request (Express or Fastify): client IP, user agent, the
 * optional `X-Device-Id` header and the `DPoP` proof of a device key; `deviceName` is what the
 * user called the device, if anything.
 */
export function sessionContextOf(request: HttpRequestLike, deviceName?: string): SessionContext {
  const deviceId = request.headers['x-device-id'];
  return {
    ip: request.ip,
    userAgent: headerValue(request.headers['user-agent']),
    deviceId: typeof deviceId === 'string' ? deviceId : undefined,
    deviceName,
    deviceProof: deviceProofOf(request),
  };
}

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
    host: headerValue(request.headers.host),
    protocol: request.protocol,
  };
}

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
