/** Metadata key set by `@Public()`. */
export const IS_PUBLIC_KEY = 'session-auth:is-public';

/**
 * Metadata key on each handler of the library's controller, naming its route (`SessionAuthRoute`),
 * so an app's own guard can target one (e.g. rate-limit `'refresh'`) by the route, not its URL.
 */
export const SESSION_AUTH_ROUTE_KEY = 'session-auth:route';

/** The routes of the library's controller, as named by `SESSION_AUTH_ROUTE_KEY`. */
export type SessionAuthRoute =
  | 'refresh'
  | 'logout'
  | 'list'
  | 'terminate'
  | 'terminate-many'
  | 'dbsc-registration'
  | 'dbsc-refresh';

/** Metadata key set by `@RequireFreshSession()`. */
export const FRESH_SESSION_KEY = 'session-auth:fresh-session-seconds';

/** Metadata key set by `@RequireDeviceProof()`. */
export const DEVICE_PROOF_KEY = 'session-auth:device-proof';

/** Request property where the guard leaves the authenticated principal. */
export const REQUEST_AUTH_KEY = 'sessionAuth';
