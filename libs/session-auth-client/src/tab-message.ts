import type { Access } from './access-token.js';

/** What tabs of one browser tell each other. */
export type TabMessage =
  { type: 'access'; access: Access } | { type: 'signed-out'; sessionId: string };

/** A token handed over by a tab is at most this far ahead of this tab's clock (they share it). */
const CLOCK_SLACK_MS = 60_000;

/**
 * The message, if it has the shape this client posts; anything else on the channel (another
 * script of the origin, an older client version) is ignored rather than adopted.
 */
export function tabMessageOf(data: unknown, now = Date.now()): TabMessage | undefined {
  if (!isRecord(data)) return undefined;
  if (data.type === 'signed-out') {
    return isId(data.sessionId) ? { type: 'signed-out', sessionId: data.sessionId } : undefined;
  }
  if (data.type !== 'access' || !isRecord(data.access)) return undefined;
  const { token, sessionId, userId, receivedAt, lifetimeMs } = data.access;
  const valid =
    typeof token === 'string' &&
    /^[\w-]+\.[\w-]+\.[\w-]*$/.test(token) &&
    isId(sessionId) &&
    typeof userId === 'string' &&
    typeof receivedAt === 'number' &&
    Number.isFinite(receivedAt) &&
    receivedAt <= now + CLOCK_SLACK_MS &&
    typeof lifetimeMs === 'number' &&
    Number.isFinite(lifetimeMs) &&
    lifetimeMs > 0;
  return valid
    ? { type: 'access', access: { token, sessionId, userId, receivedAt, lifetimeMs } }
    : undefined;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

function isId(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0 && value.length <= 200;
}
