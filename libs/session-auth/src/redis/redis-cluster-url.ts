/** Scheme of a Redis Cluster URL: `redis+cluster://host:port,host:port` (any seeds of the cluster). */
export const REDIS_CLUSTER_SCHEME = 'redis+cluster:';

/** What a `redis+cluster://[user:password@]host:port,host:port` URL says. */
export function parseClusterUrl(url: string): {
  seeds: { host: string; port: number }[];
  username?: string;
  password?: string;
} {
  const rest = url.slice(REDIS_CLUSTER_SCHEME.length).replace(/^\/\//, '');
  const at = rest.lastIndexOf('@');
  const [username, password] =
    at === -1 ? [] : rest.slice(0, at).split(':').map(decodeURIComponent);
  const seeds = rest
    .slice(at + 1)
    .replace(/\/.*$/, '')
    .split(',')
    .map((seed) => seed.trim())
    .filter(Boolean)
    .map((seed) => {
      const [host, port] = seed.split(':');
      return { host, port: Number(port || 6379) };
    });
  return { seeds, username: username || undefined, password: password || undefined };
}
