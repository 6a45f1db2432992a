/** Internal injection tokens; not exported from the package. */
export const SESSION_AUTH_RESOLVED_OPTIONS = Symbol('SESSION_AUTH_RESOLVED_OPTIONS');
export const SESSION_AUTH_REDIS = Symbol('SESSION_AUTH_REDIS');
