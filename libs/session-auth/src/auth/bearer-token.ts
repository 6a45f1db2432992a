/**
 * The token of an `Authorization: Bearer <token>` header. A header that is there but not of that
 * form is an invalid token (returned as is, so verification refuses it), not a missing one.
 */
export function bearerTokenOf(header: string | string[] | undefined): string | undefined {
  if (typeof header !== 'string') return undefined;
  const match = /^Bearer\s+(\S+)$/i.exec(header.trim());
  return match?.[1] ?? (header.trim() || undefined);
}
