import type { ExecutionContext } from '@nestjs/common';

/** What carries the access token and receives the verified session, in any transport. */
export interface AuthTarget {
  /** HTTP (Express, Fastify, GraphQL's `req`): the `Authorization: Bearer` header. */
  headers?: Record<string, string | string[] | undefined>;
  /** socket.io: the handshake's `auth.token`. */
  handshake?: { auth?: Record<string, unknown> };
}

/**
 * The request of an execution context: the HTTP request, the socket of a WebSocket message, or
 * the `req` of a GraphQL context (resolver arguments are root, args, context, info).
 */
export function authTargetOf(context: ExecutionContext): AuthTarget | undefined {
  switch (context.getType<string>()) {
    case 'ws':
      return context.switchToWs().getClient<AuthTarget>();
    case 'graphql':
      return context.getArgByIndex<{ req?: AuthTarget } | undefined>(2)?.req;
    default:
      return context.switchToHttp().getRequest<AuthTarget>();
  }
}
