import { UAParser } from 'ua-parser-js';
import { BoundedMap } from '../utils/bounded-map.js';
import type { SessionEntity } from '../persistence/session.entity.js';
import type { SessionListItem, SessionView } from './session-view.type.js';

/** Maps a row to its client view, parsing browser and OS from the stored user agent. */
export function toSessionView(session: SessionEntity, currentSessionId?: string): SessionView {
  return { ...toSessionListItem(session), current: session.id === currentSessionId };
}

/** The view without `current`, for a list that every device of the user receives. */
export function toSessionListItem(session: SessionEntity): SessionListItem {
  return {
    id: session.id,
    deviceName: session.deviceName,
    ...describeUserAgent(session.userAgent),
    ip: session.ip,
    createdAt: session.createdAt.toISOString(),
    lastActiveAt: session.lastActiveAt.toISOString(),
    deviceBound: session.keyThumbprint !== null && session.keyThumbprint !== undefined,
    deviceKeySource: session.keyThumbprint ? (session.keySource ?? 'dpop') : null,
  };
}

/** Browser and OS with versions, e.g. `{ browser: 'Chrome 131', os: 'Mac OS 10.15.7' }`. */
export function describeUserAgent(userAgent: string | null | undefined): {
  browser: string | null;
  os: string | null;
} {
  const ua = parseUserAgent(userAgent);
  return {
    browser: joinDefined(ua?.browser.name, ua?.browser.major),
    os: joinDefined(ua?.os.name, ua?.os.version),
  };
}

/** A readable default name for a device, e.g. "Chrome on Mac OS". */
export function defaultDeviceName(userAgent: string | undefined): string {
  const ua = parseUserAgent(userAgent);
  const browser = ua?.browser.name;
  const os = ua?.os.name;
  if (browser && os) return `${browser} on ${os}`;
  return browser ?? os ?? 'Unknown device';
}

/** Parsed user agents: session lists repeat the same few strings, and parsing is the costly part. */
const parsedUserAgents = new BoundedMap<UAParser.IResult>(1000);

function parseUserAgent(userAgent: string | null | undefined): UAParser.IResult | undefined {
  if (!userAgent) return undefined;
  let parsed = parsedUserAgents.get(userAgent);
  if (!parsed) {
    parsed = new UAParser(userAgent).getResult();
    parsedUserAgents.set(userAgent, parsed);
  }
  return parsed;
}

function joinDefined(...parts: (string | undefined)[]): string | null {
  const text = parts.filter(Boolean).join(' ');
  return text || null;
}
