// The platform's own request and response types: the library's helpers must accept them as they are.
export type { Request as HttpRequest, Response as HttpResponse } from 'express';
