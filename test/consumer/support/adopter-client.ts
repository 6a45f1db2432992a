import { DEFAULT_PASSWORD, formatResponse, refreshCookieOf } from '../../support/auth.js';
import { expectStatus } from '../../support/expect-http.js';
import { ApiClient, type ApiResponse } from '../../support/http-client.js';

/** The accounts the adopters' apps know (test/consumer/apps/shared/src/accounts.controller.ts). */
export type AdopterUser = 'ada' | 'grace';
export const ADOPTER_USER_IDS: Record<AdopterUser, string> = {
  ada: 'user-ada',
  grace: 'user-grace',
};

/** One device signed in through the app's own `POST /login`. */
export interface AdopterDevice {
  client: ApiClient;
  accessToken: string;
  /** The refresh cookie the login set. */
  refreshToken: string;
  sessionId: string;
  response: ApiResponse;
}

/** Signs `user` in on a new device (its own cookie jar) and expects 200 with a refresh cookie. */
export async function adopterLogin(
  baseUrl: string,
  user: AdopterUser,
  password: string,
): Promise<AdopterDevice> {
  const client = new ApiClient(baseUrl);
  const response = await client.post('/login', { json: { username: user, password } });
  if (response.status !== 200 || typeof response.body?.accessToken !== 'string') {
    throw new Error(`POST /login as ${user} failed: ${formatResponse(response)}`);
  }
  return {
    client,
    accessToken: response.body.accessToken,
    refreshToken: refreshCookieOf(response),
    sessionId: response.body.session?.id,
    response,
  };
}

/** Signs ada in through the app's `POST /login` and expects the guarded `GET /me` to know her. */
export async function expectGuardedRouteAfterLogin(baseUrl: string): Promise<AdopterDevice> {
  const device = await adopterLogin(baseUrl, 'ada', DEFAULT_PASSWORD);
  const me = await device.client.get('/me', { token: device.accessToken });
  expectStatus(me, 200);
  expect(me.body).toEqual({ userId: ADOPTER_USER_IDS.ada, sessionId: device.sessionId });
  return device;
}
