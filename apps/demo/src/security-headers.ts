import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Response } from 'express';
import helmet, { type HelmetOptions } from 'helmet';

/**
 * helmet's headers, worked out once. With options that hold no functions (no per-request nonce)
 * they do not depend on the request, so the returned function sets the recorded list instead of
 * helmet's dozen middlewares running on every request.
 */
export function precomputedHelmet(options: HelmetOptions) {
  const headers: [string, string][] = [];
  const removed: string[] = [];
  const recorder = {
    setHeader: (name: string, value: unknown) => headers.push([name, String(value)]),
    removeHeader: (name: string) => removed.push(name),
  };
  let finished = false;
  helmet(options)(
    {} as IncomingMessage,
    recorder as unknown as ServerResponse,
    (error?: unknown) => (finished = !error),
  );
  // Were helmet ever to need the request or to answer later, fail at start-up, not per request.
  if (!finished) throw new Error('helmet did not set its headers synchronously');
  return (res: Response): void => {
    for (const name of removed) res.removeHeader(name);
    for (const [name, value] of headers) res.setHeader(name, value);
  };
}
