/** Internal injection tokens; not exported from the package. */
export const SESSION_AUTH_RESOLVED_OPTIONS = Symbol('SESSION_AUTH_RESOLVED_OPTIONS');
/** Where the session routes are mounted (the `routePath` extra): the refresh cookie's default Path. */
export const SESSION_AUTH_ROUTE_PATH = Symbol('SESSION_AUTH_ROUTE_PATH');
/** Resolved once `@nestjs/swagger` decorators are applied (the `openApi` option). */
export const SESSION_AUTH_OPENAPI = Symbol('SESSION_AUTH_OPENAPI');
