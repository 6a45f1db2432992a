/** Metadata key set by `@Public()`. */
export const IS_PUBLIC_KEY = 'session-auth:is-public';

/** Where the session routes are mounted unless `routePath` says otherwise (internal). */
export const DEFAULT_ROUTE_PATH = 'auth';

/** Metadata key set by `@RequireFreshSession()`. */
export const FRESH_SESSION_KEY = 'session-auth:fresh-session-seconds';

/** Metadata key set by `@RequireDeviceProof()`. */
export const DEVICE_PROOF_KEY = 'session-auth:device-proof';

/** Request property where the guard leaves the authenticated principal. */
export const REQUEST_AUTH_KEY = 'sessionAuth';
