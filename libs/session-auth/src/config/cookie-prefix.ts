import { SessionAuthOptionsError } from './session-auth.options.js';

/**
 * A `__Host-` cookie (RFC 6265bis; browsers compare the prefix case-insensitively) is accepted only
 * with `Secure`, `Path=/` and no `Domain`, so no sibling subdomain can plant one under that name.
 */
export function isHostPrefixed(cookieName: string | undefined): boolean {
  return typeof cookieName === 'string' && /^__host-/i.test(cookieName);
}

/** `Path` of the refresh cookie when none is given: `/` for a `__Host-` name, else `fallback`. */
export function defaultCookiePath(cookieName: string | undefined, fallback: string): string {
  return isHostPrefixed(cookieName) ? '/' : fallback;
}

/** Throws, naming the option, when the cookie options break the rules of the name's prefix. */
export function checkCookiePrefix(cookie: {
  cookieName: string;
  cookiePath: string;
  cookieSecure: boolean;
}): void {
  const { cookieName, cookiePath, cookieSecure } = cookie;
  if (typeof cookieName !== 'string' || !/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/.test(cookieName)) {
    throw new SessionAuthOptionsError(
      'cookieName',
      `must be a cookie name (letters, digits and !#$%&'*+-.^_\`|~; got ${JSON.stringify(cookieName)})`,
    );
  }
  const prefix = isHostPrefixed(cookieName)
    ? '__Host-'
    : /^__secure-/i.test(cookieName)
      ? '__Secure-'
      : undefined;
  if (prefix && !cookieSecure) {
    throw new SessionAuthOptionsError(
      'cookieSecure',
      `must be true for a ${prefix} cookie name (browsers drop such a cookie without Secure; got cookieName ${JSON.stringify(cookieName)})`,
    );
  }
  if (prefix === '__Host-' && cookiePath !== '/') {
    throw new SessionAuthOptionsError(
      'cookiePath',
      `must be '/' for a __Host- cookie name (browsers drop such a cookie with another Path; got ${JSON.stringify(cookiePath)})`,
    );
  }
}
