import { UAParser } from 'ua-parser-js';
import type { SessionEntity } from './session.entity.js';
import type { SessionView } from './session-view.type.js';

export type { SessionView };

/** Maps a row to its client view, parsing browser and OS from the stored user agent. */
export function toSessionView(session: SessionEntity, currentSessionId?: string): SessionView {
  return {
    id: session.id,
    deviceName: session.deviceName,
    ...describeUserAgent(session.userAgent),
    ip: session.ip,
    createdAt: session.createdAt.toISOString(),
    lastActiveAt: session.lastActiveAt.toISOString(),
    current: session.id === currentSessionId,
  };
}

/** Browser and OS with versions, e.g. `{ browser: 'Chrome 131', os: 'Mac OS 10.15.7' }`. */
export function describeUserAgent(userAgent: string | null | undefined): {
  browser: string | null;
  os: string | null;
} {
  const ua = userAgent ? new UAParser(userAgent).getResult() : undefined;
  return {
    browser: joinDefined(ua?.browser.name, ua?.browser.major),
    os: joinDefined(ua?.os.name, ua?.os.version),
  };
}

/** A readable default name for a device, e.g. "Chrome on Mac OS". */
export function defaultDeviceName(userAgent: string | undefined): string {
  const ua = userAgent ? new UAParser(userAgent).getResult() : undefined;
  const browser = ua?.browser.name;
  const os = ua?.os.name;
  if (browser && os) return `${browser} on ${os}`;
  return browser ?? os ?? 'Unknown device';
}

function joinDefined(...parts: (string | undefined)[]): string | null {
  const text = parts.filter(Boolean).join(' ');
  return text || null;
}
