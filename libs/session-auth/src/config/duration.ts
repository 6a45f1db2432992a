const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400 };

/**
 * Parses a duration given as seconds (`900`, `'900'`) or with a unit (`'15m'`, `'7d'`, `'12h'`, `'30s'`).
 * Returns whole seconds, or `undefined` when the value is not a positive duration.
 */
export function parseDurationSeconds(value: unknown): number | undefined {
  if (typeof value === 'number') {
    return wholeSeconds(value);
  }
  if (typeof value !== 'string') return undefined;
  const match = /^\s*(\d+(?:\.\d+)?)\s*([smhd]?)\s*$/.exec(value);
  if (!match) return undefined;
  return wholeSeconds(Number(match[1]) * (match[2] ? UNIT_SECONDS[match[2]] : 1));
}

/** At least one second, rounded to a whole one: a 0.2 s token would be expired when issued. */
function wholeSeconds(value: number): number | undefined {
  return Number.isFinite(value) && value >= 1 ? Math.round(value) : undefined;
}
