import type { SessionContext } from '../sessions/session-context.js';
import type { HttpRequestLike } from './http-types.js';

/**
 * The session context of an HTTP request (Express or Fastify): client IP, user agent and the
 * optional `X-Device-Id` header; `deviceName` is what the user called the device, if anything.
 */
export function sessionContextOf(request: HttpRequestLike, deviceName?: string): SessionContext {
  const deviceId = request.headers['x-device-id'];
  return {
    ip: request.ip,
    userAgent: headerValue(request.headers['user-agent']),
    deviceId: typeof deviceId === 'string' ? deviceId : undefined,
    deviceName,
  };
}

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
