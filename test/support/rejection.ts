import { expect } from '@jest/globals';
import { SessionAuthError } from 'nestjs-session-auth';

/** The `code` of the SessionAuthError that `promise` rejects with (fails the test on anything else). */
export async function rejectionCode(promise: Promise<unknown>): Promise<string> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(SessionAuthError);
  return (error as SessionAuthError).code;
}
