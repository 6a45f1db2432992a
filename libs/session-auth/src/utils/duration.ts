const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400 };

/**
 * Parses a duration given as seconds (`900`, `'900'`) or with a unit (`'15m'`, `'7d'`, `'12h'`, `'30s'`).
 * Returns whole seconds, or `undefined` when the value is not a positive duration.
 */
export function parseDurationSeconds(value: unknown): number | undefined {
  if (typeof value === 'number') {
    return Number.isFinite(value) && value > 0 ? value : undefined;
  }
  if (typeof value !== 'string') return undefined;
  const match = /^\s*(\d+(?:\.\d+)?)\s*([smhd]?)\s*$/.exec(value);
  if (!match) return undefined;
  const seconds = Number(match[1]) * (match[2] ? UNIT_SECONDS[match[2]] : 1);
  return seconds > 0 ? seconds : undefined;
}
