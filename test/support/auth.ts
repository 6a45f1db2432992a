import { randomBytes } from 'node:crypto';
import { ApiClient, type ApiResponse, REFRESH_COOKIE } from './http-client.js';

export const DEFAULT_PASSWORD = 'correct horse battery staple';

export interface SessionView {
  id: string;
  [key: string]: unknown;
}

/** A signed-in device: its own cookie jar plus what register/login/refresh answered. */
export interface SignedIn {
  client: ApiClient;
  email: string;
  password: string;
  user: { id: string; email: string; [key: string]: unknown };
  accessToken: string;
  accessTokenExpiresAt: string;
  session: SessionView;
  /** The refresh cookie's value as set by that response. */
  refreshToken: string;
  response: ApiResponse;
}

export interface DeviceOptions {
  deviceName?: string;
  userAgent?: string;
}

/** An email no other test (or earlier run on a reused database) has registered. */
export function uniqueEmail(tag = 'user'): string {
  return `${tag}-${Date.now().toString(36)}-${randomBytes(4).toString('hex')}@example.com`;
}

/** Registers a new user on a new device and expects 201. */
export async function register(
  baseUrl: string,
  options: DeviceOptions & { email?: string; password?: string; name?: string } = {},
): Promise<SignedIn> {
  const client = new ApiClient(baseUrl, options.userAgent);
  const email = options.email ?? uniqueEmail();
  const password = options.password ?? DEFAULT_PASSWORD;
  const response = await client.post('/auth/register', {
    json: { email, password, name: options.name ?? 'Test User', deviceName: options.deviceName },
  });
  return signedIn(client, email, password, response, 201);
}

/** Signs an existing user in on a new device and expects 200. */
export async function login(
  baseUrl: string,
  email: string,
  password: string = DEFAULT_PASSWORD,
  options: DeviceOptions = {},
): Promise<SignedIn> {
  const client = new ApiClient(baseUrl, options.userAgent);
  const response = await client.post('/auth/login', {
    json: { email, password, deviceName: options.deviceName },
  });
  return signedIn(client, email, password, response, 200);
}

/** POST /auth/refresh with the device's cookie (the browser way). */
export function refreshWithCookie(client: ApiClient): Promise<ApiResponse> {
  return client.post('/auth/refresh');
}

/** POST /auth/refresh with `{ refreshToken }` in the body and no cookie (the mobile-app way). */
export function refreshWithBody(client: ApiClient, refreshToken: string): Promise<ApiResponse> {
  return client.post('/auth/refresh', { json: { refreshToken }, withCookie: false });
}

/** The refresh cookie value a response set; fails with the whole response when there is none. */
export function refreshCookieOf(response: ApiResponse): string {
  const cookie = response.cookies[REFRESH_COOKIE];
  if (!cookie || cookie.cleared || !cookie.value) {
    throw new Error(`${response.request} set no refresh cookie: ${formatResponse(response)}`);
  }
  return cookie.value;
}

/** GET /me with an access token. */
export function me(client: ApiClient, accessToken: string): Promise<ApiResponse> {
  return client.get('/me', { token: accessToken });
}

export function formatResponse(response: ApiResponse): string {
  return `${response.status} ${JSON.stringify(response.body)} set-cookie=${JSON.stringify(
    response.headers.getSetCookie(),
  )}`;
}

function signedIn(
  client: ApiClient,
  email: string,
  password: string,
  response: ApiResponse,
  expectedStatus: number,
): SignedIn {
  if (response.status !== expectedStatus || typeof response.body?.accessToken !== 'string') {
    throw new Error(`${response.request} for ${email} failed: ${formatResponse(response)}`);
  }
  return {
    client,
    email,
    password,
    user: response.body.user,
    accessToken: response.body.accessToken,
    accessTokenExpiresAt: response.body.accessTokenExpiresAt,
    session: response.body.session,
    refreshToken: refreshCookieOf(response),
    response,
  };
}
