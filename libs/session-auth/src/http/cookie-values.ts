import type { ResolvedSessionAuthOptions } from '../config/session-auth.options.js';

/**
 * The values of every cookie named `name` in a `Cookie` header, in header order (most specific
 * path first, as browsers send them), non-empty ones only, at most `limit`. The `cookie` package's
 * parser keeps only the first of duplicates, which lets a planted cookie hide the real one.
 */
export function cookieValues(header: string, name: string, limit: number): string[] {
  const values: string[] = [];
  for (const pair of header.split(';')) {
    if (values.length >= limit) break;
    const equals = pair.indexOf('=');
    if (equals < 0 || pair.slice(0, equals).trim() !== name) continue;
    const value = unquote(pair.slice(equals + 1).trim());
    if (value) values.push(decode(value));
  }
  return values;
}

function unquote(value: string): string {
  return value.length > 1 && value.startsWith('"') && value.endsWith('"')
    ? value.slice(1, -1)
    : value;
}

function decode(value: string): string {
  if (!value.includes('%')) return value;
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

/** The flags of the refresh cookie (and of the DBSC bound credential beside it). */
export function sessionCookieFlags(
  options: Pick<ResolvedSessionAuthOptions, 'cookieSecure' | 'cookiePath'>,
) {
  return {
    httpOnly: true,
    secure: options.cookieSecure,
    sameSite: 'strict' as const,
    path: options.cookiePath,
  };
}
