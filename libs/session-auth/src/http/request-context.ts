import type { Request } from 'express';
import type { SessionContext } from '../sessions/session-context.js';

/** The session context of an HTTP request: client IP, user agent and the optional `X-Device-Id` header. */
export function sessionContextOf(request: Request, deviceName?: string): SessionContext {
  const deviceId = request.headers['x-device-id'];
  return {
    ip: request.ip,
    userAgent: request.headers['user-agent'],
    deviceId: typeof deviceId === 'string' ? deviceId : undefined,
    deviceName,
  };
}
