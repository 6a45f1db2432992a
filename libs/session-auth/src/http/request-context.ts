import { deviceProofOf } from '../binding/proof-headers.js';
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

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
