/** The refresh cookie the demo sets (HttpOnly, SameSite=Strict, Path=/auth). */
export const REFRESH_COOKIE = 'refresh_token';
export const DEFAULT_USER_AGENT =
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36';

export interface SetCookie {
  name: string;
  value: string;
  /** Attribute names in lower case; flags such as HttpOnly map to `true`. */
  attributes: Record<string, string | true>;
  maxAge?: number;
  /** The server asked the browser to forget the cookie (Max-Age <= 0 or Expires in the past). */
  cleared: boolean;
}

export interface ApiResponse<T = any> {
  /** `METHOD /path`, so a failed expectation says which request it was about. */
  request: string;
  status: number;
  /** Parsed JSON when the response is JSON, the text otherwise, undefined when empty. */
  body: T;
  headers: Headers;
  /** The cookies this response set, by name. */
  cookies: Record<string, SetCookie>;
}

export interface RequestOptions {
  /** A value sent as JSON. */
  json?: unknown;
  /** A raw body, sent as is (with `contentType`, default application/json). */
  body?: string;
  contentType?: string;
  /** An access token, sent as `Authorization: Bearer <token>`. */
  token?: string;
  headers?: Record<string, string>;
  /** Send the stored refresh cookie when the path is under /auth (default true), like a browser. */
  withCookie?: boolean;
}

/**
 * One browser: a fetch wrapper that keeps the `refresh_token` cookie the way a browser would (sent
 * only to /auth, replaced when the server sets a new one, dropped when the server clears it).
 */
export class ApiClient {
  refreshToken: string | undefined;

  constructor(
    readonly baseUrl: string,
    readonly userAgent: string = DEFAULT_USER_AGENT,
  ) {}

  async request<T = any>(
    method: string,
    path: string,
    options: RequestOptions = {},
  ): Promise<ApiResponse<T>> {
    const headers: Record<string, string> = { 'user-agent': this.userAgent, ...options.headers };
    let body: string | undefined = options.body;
    if (options.json !== undefined) body = JSON.stringify(options.json);
    if (body !== undefined) headers['content-type'] = options.contentType ?? 'application/json';
    if (options.token !== undefined) headers.authorization = `Bearer ${options.token}`;
    if ((options.withCookie ?? true) && this.refreshToken !== undefined && isUnder(path, '/auth')) {
      headers.cookie = `${REFRESH_COOKIE}=${encodeURIComponent(this.refreshToken)}`;
    }

    const response = await fetch(new URL(path, this.baseUrl), { method, headers, body });
    const text = await response.text();
    const cookies = Object.fromEntries(
      response.headers
        .getSetCookie()
        .map(parseSetCookie)
        .map((c) => [c.name, c]),
    );
    const refresh = cookies[REFRESH_COOKIE];
    if (refresh) this.refreshToken = refresh.cleared ? undefined : refresh.value;

    return {
      request: `${method} ${path}`,
      status: response.status,
      body: parseBody(response, text),
      headers: response.headers,
      cookies,
    };
  }

  get<T = any>(path: string, options?: RequestOptions): Promise<ApiResponse<T>> {
    return this.request<T>('GET', path, options);
  }

  post<T = any>(path: string, options?: RequestOptions): Promise<ApiResponse<T>> {
    return this.request<T>('POST', path, options);
  }

  delete<T = any>(path: string, options?: RequestOptions): Promise<ApiResponse<T>> {
    return this.request<T>('DELETE', path, options);
  }
}

export function parseSetCookie(header: string): SetCookie {
  const [pair, ...rest] = header.split(';');
  const eq = pair.indexOf('=');
  const name = pair.slice(0, eq).trim();
  const value = decodeURIComponent(pair.slice(eq + 1).trim());
  const attributes: Record<string, string | true> = {};
  for (const part of rest) {
    const i = part.indexOf('=');
    if (i === -1) attributes[part.trim().toLowerCase()] = true;
    else attributes[part.slice(0, i).trim().toLowerCase()] = part.slice(i + 1).trim();
  }
  const maxAge =
    typeof attributes['max-age'] === 'string' ? Number(attributes['max-age']) : undefined;
  const expires =
    typeof attributes.expires === 'string' ? Date.parse(attributes.expires) : undefined;
  const cleared =
    (maxAge !== undefined && maxAge <= 0) ||
    (maxAge === undefined && expires !== undefined && expires <= Date.now());
  return { name, value, attributes, maxAge, cleared };
}

function parseBody(response: Response, text: string): any {
  if (text === '') return undefined;
  if ((response.headers.get('content-type') ?? '').includes('json')) {
    try {
      return JSON.parse(text);
    } catch {
      return text;
    }
  }
  return text;
}

function isUnder(path: string, prefix: string): boolean {
  return path === prefix || path.startsWith(`${prefix}/`) || path.startsWith(`${prefix}?`);
}
