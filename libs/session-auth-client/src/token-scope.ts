/** The absolute form of a URL, resolved against the page; `undefined` where there is no page. */
export function absoluteUrl(url: string): string | undefined {
  try {
    return new URL(url, globalThis.location?.href).href;
  } catch {
    return undefined;
  }
}

/**
 * Which request URLs get the access token: the API's origin (that of `baseUrl`, or the page's)
 * and the origins the app lists. A token sent to any other origin would be handed to a third party.
 */
export function tokenScope(
  apiUrl: string,
  extraOrigins: readonly string[],
): (url: string) => boolean {
  const origins = new Set(
    [apiUrl, ...extraOrigins].flatMap((url) => {
      const absolute = absoluteUrl(url);
      return absolute ? [new URL(absolute).origin] : [];
    }),
  );
  return (url) => {
    const absolute = absoluteUrl(url);
    return absolute !== undefined && origins.has(new URL(absolute).origin);
  };
}
