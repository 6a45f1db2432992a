/**
 * Memoises `bind(value)` per label value. A bound prom-client child skips building and checking a
 * labels object on every call, which matters on the guard's path (one call per request). The
 * values are a small fixed set (results, error codes), so the map stays small.
 */
export function bindOnce<T>(bind: (value: string) => T): (value: string) => T {
  const children = new Map<string, T>();
  return (value) => {
    let child = children.get(value);
    if (child === undefined) {
      child = bind(value);
      children.set(value, child);
    }
    return child;
  };
}
