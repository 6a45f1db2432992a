// Small numeric helpers shared by the runner and the workers (no dependencies).

/** Nearest-rank percentile of an ascending array; `undefined` for an empty one. */
export function percentile(sorted, p) {
  if (sorted.length === 0) return undefined;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1];
}

/** count, min, mean, p50, p90, p99, max of a list of numbers (milliseconds, usually). */
export function summarize(values) {
  const sorted = Float64Array.from(values).sort();
  if (sorted.length === 0) return { count: 0 };
  let sum = 0;
  for (const v of sorted) sum += v;
  return {
    count: sorted.length,
    min: round(sorted[0]),
    mean: round(sum / sorted.length),
    p50: round(percentile(sorted, 50)),
    p90: round(percentile(sorted, 90)),
    p99: round(percentile(sorted, 99)),
    max: round(sorted[sorted.length - 1]),
  };
}

export function round(value, digits = 2) {
  if (typeof value !== 'number' || !Number.isFinite(value)) return value;
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

/** a / b rounded, or `undefined` when either is missing. */
export function ratio(a, b, digits = 2) {
  if (typeof a !== 'number' || typeof b !== 'number' || b === 0) return undefined;
  return round(a / b, digits);
}
