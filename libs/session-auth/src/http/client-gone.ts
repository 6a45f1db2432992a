import type { Response } from 'express';

/**
 * An AbortSignal that fires when the client closes the connection before its response is finished:
 * pass it to `hashPassword` / `verifyPassword` so a bcrypt job still queued for a client that gave
 * up is dropped instead of run. (`close` on the response also follows a finished answer; only an
 * unfinished one aborts.)
 */
export function clientGoneSignal(response: Response): AbortSignal {
  const controller = new AbortController();
  response.once('close', () => {
    if (!response.writableFinished) controller.abort();
  });
  return controller.signal;
}
