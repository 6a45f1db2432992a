/**
 * What the library reads from a request and writes to a response, described by shape so that it
 * serves Express and Fastify alike and its types name neither.
 */
export interface HttpRequestLike {
  headers: Record<string, string | string[] | undefined>;
  body?: unknown;
  /** The client address as the platform resolved it (Express `req.ip`, Fastify `request.ip`). */
  ip?: string;
  /** HTTP method (both platforms). */
  method?: string;
  /** The URL as received, path and query (Express: after mounting, see `originalUrl`). */
  url?: string;
  /** The URL before any mount point was taken off (Express, Fastify). */
  originalUrl?: string;
  /** `http` or `https` as the platform resolved it (honours the app's trust-proxy setting). */
  protocol?: string;
}

/** An Express response (`append`) or a Fastify reply (`header`), or a plain Node response. */
export interface HttpResponseLike {
  /** Express: adds a header value. */
  append?(name: string, value: string): unknown;
  /** Fastify: sets a header (appends for `set-cookie`). */
  header?(name: string, value: string): unknown;
  /** Node: reads a header. */
  getHeader?(name: string): unknown;
  /** Node: sets a header. */
  setHeader?(name: string, value: string | string[]): unknown;
}

/** Sets (replaces) a header on an Express response, a Fastify reply or a plain Node response. */
export function setResponseHeader(response: HttpResponseLike, name: string, value: string): void {
  if (typeof response.setHeader === 'function') response.setHeader(name, value);
  else if (typeof response.header === 'function') response.header(name, value);
  else throw new TypeError(`cannot set ${name} on this response object`);
}

/** Adds a `Set-Cookie` header without dropping the ones already set. */
export function appendSetCookie(response: HttpResponseLike, cookie: string): void {
  // Express: append; Fastify's reply.header appends for set-cookie; a Node response: merge by hand.
  if (typeof response.append === 'function') response.append('Set-Cookie', cookie);
  else if (typeof response.header === 'function') response.header('set-cookie', cookie);
  else if (typeof response.setHeader === 'function') {
    const current = response.getHeader?.('set-cookie');
    const list = current === undefined ? [] : Array.isArray(current) ? current : [String(current)];
    response.setHeader('Set-Cookie', [...list, cookie]);
  } else throw new TypeError('cannot set a cookie on this response object');
}
