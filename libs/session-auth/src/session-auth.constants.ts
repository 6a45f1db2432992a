/** Metadata key set by `@Public()`. */
export const IS_PUBLIC_KEY = 'session-auth:is-public';

/** Metadata key set by `@RequireFreshSession()`. */
export const FRESH_SESSION_KEY = 'session-auth:fresh-session-seconds';

/** Request property where the guard leaves the authenticated principal. */
export const REQUEST_AUTH_KEY = 'sessionAuth';
