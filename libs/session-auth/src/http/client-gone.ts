/** What this needs of a Node `ServerResponse`: Express's `res` is one, Fastify's is `reply.raw`. */
interface NodeResponseLike {
  once(event: 'close', listener: () => void): unknown;
  readonly writableFinished: boolean;
}

/**
 * An AbortSignal that fires when the client closes the connection before its response is finished:
 * pass it to `hashPassword` / `verifyPassword` so a bcrypt job still queued for a client that gave
 * up is dropped instead of run. Takes an Express response or a Fastify reply. (`close` also follows
 * a finished answer; only an unfinished one aborts.)
 */
export function clientGoneSignal(
  response: NodeResponseLike | { raw: NodeResponseLike },
): AbortSignal {
  const node = 'raw' in response ? response.raw : response;
  const controller = new AbortController();
  node.once('close', () => {
    if (!node.writableFinished) controller.abort();
  });
  return controller.signal;
}
