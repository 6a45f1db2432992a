import { refreshCookieOf, refreshWithBody } from './auth.js';
import type { ApiClient, ApiResponse } from './http-client.js';

// These helpers compare a view of the whole response, so a failure prints the request, the status
// and the complete body that came back, not just "expected 401, received 500".

function view(response: ApiResponse): { request: string; status: number; body: unknown } {
  return { request: response.request, status: response.status, body: response.body };
}

export function expectStatus(response: ApiResponse, status: number): void {
  expect(view(response)).toMatchObject({ status });
}

/** The contract's error shape: `{ statusCode, code, message }`, statusCode equal to the status. */
export function expectError(response: ApiResponse, status: number, code: string): void {
  expect(view(response)).toMatchObject({
    status,
    body: { statusCode: status, code, message: expect.any(String) },
  });
}

/** Like expectError, for a request the contract lets the server refuse in more than one way. */
export function expectOneOfErrors(
  response: ApiResponse,
  allowed: { status: number; code: string }[],
): void {
  const matched = allowed.some(
    (a) => a.status === response.status && a.code === response.body?.code,
  );
  expect({ ...view(response), matched }).toMatchObject({
    matched: true,
    body: { statusCode: response.status, message: expect.any(String) },
  });
}

export function expectNoServerError(response: ApiResponse): void {
  expect({ ...view(response), serverError: response.status >= 500 }).toMatchObject({
    serverError: false,
  });
}

/**
 * Presents the same refresh token twice, as two tabs do: both answers are 200 with the same
 * successor (the grace window's idempotent retry). Returns the retry's answer.
 */
export async function expectGraceRetry(
  client: ApiClient,
  refreshToken: string,
): Promise<ApiResponse> {
  const first = await refreshWithBody(client, refreshToken);
  const retry = await refreshWithBody(client, refreshToken);
  expectStatus(first, 200);
  expectStatus(retry, 200);
  expect(refreshCookieOf(retry)).toBe(refreshCookieOf(first));
  return retry;
}
