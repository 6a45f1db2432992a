// The platform's own request and response types: the library's helpers must accept them as they are.
export type { FastifyRequest as HttpRequest, FastifyReply as HttpResponse } from 'fastify';
