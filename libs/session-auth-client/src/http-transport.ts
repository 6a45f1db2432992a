import { errorFromResponse, networkError } from './session-client.error.js';

/** A request never hangs forever: a hung refresh would hold the cross-tab lock. */
const REQUEST_TIMEOUT_MS = 15_000;

/** How the client reaches the API (resolved once from the options). */
export interface HttpTransport {
  readonly baseUrl: string;
  readonly fetch: typeof fetch;
  readonly credentials: RequestCredentials;
}

export function urlOf(transport: HttpTransport, path: string): string {
  return /^[a-z][a-z\d+.-]*:/i.test(path) ? path : transport.baseUrl + path;
}

/** A JSON call of the client's own (refresh, sign-in...): 2xx gives the body, else it throws. */
export async function callJson<T>(
  transport: HttpTransport,
  method: string,
  path: string,
  options: {
    body?: unknown;
    token?: string;
    signal?: AbortSignal;
    headers?: Record<string, string>;
    /** Sees every response (an error one too) before its body is read. */
    onResponse?: (response: Response) => void;
  } = {},
): Promise<T> {
  const headers: Record<string, string> = { Accept: 'application/json', ...options.headers };
  if (options.body !== undefined) headers['Content-Type'] = 'application/json';
  if (options.token) headers.Authorization = `Bearer ${options.token}`;
  let response: Response;
  try {
    response = await transport.fetch(urlOf(transport, path), {
      method,
      headers,
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
      // The refresh cookie is HttpOnly: the browser sends it, this code never sees it.
      credentials: transport.credentials,
      cache: 'no-store',
      signal: withTimeout(options.signal),
    });
  } catch {
    throw networkError();
  }
  options.onResponse?.(response);
  return readJson<T>(response);
}

/** The body of a 2xx answer (undefined for 204); the typed error of any other. */
export async function readJson<T>(response: Response): Promise<T> {
  if (!response.ok) throw await errorFromResponse(response);
  if (response.status === 204) return undefined as T;
  return (await response.json()) as T;
}

function withTimeout(signal: AbortSignal | undefined): AbortSignal {
  const timeout = AbortSignal.timeout(REQUEST_TIMEOUT_MS);
  return signal ? AbortSignal.any([signal, timeout]) : timeout;
}
