/** What `clientGoneSignal` needs of a Node `ServerResponse`: Express's `res` is one, Fastify's is `reply.raw`. */
export interface NodeResponseLike {
  /** Node's `close` event: the connection closed, after the answer or before it. */
  once(event: 'close', listener: () => void): unknown;
  /** True once the whole answer was handed to the connection. */
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
