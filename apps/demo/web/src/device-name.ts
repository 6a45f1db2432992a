/**
 * A readable name for this browser, e.g. "Chrome on Linux", sent as `deviceName` when the user
 * leaves the Device field empty. Deliberately coarse: the server parses the full user agent
 * (browser and OS versions) for the device list on its own.
 */
export function describeThisBrowser(userAgent: string = navigator.userAgent): string {
  const browser = firstMatch(userAgent, [
    [/Edg(e|A|iOS)?\//, 'Edge'],
    [/OPR\//, 'Opera'],
    [/Firefox\/|FxiOS\//, 'Firefox'],
    [/Chrome\/|Chromium\/|CriOS\//, 'Chrome'],
    [/Safari\//, 'Safari'],
  ]);
  const os = firstMatch(userAgent, [
    [/Windows/, 'Windows'],
    [/iPhone|iPad|iPod/, 'iOS'],
    [/Android/, 'Android'],
    [/CrOS/, 'ChromeOS'],
    [/Macintosh|Mac OS X/, 'macOS'],
    [/Linux/, 'Linux'],
  ]);
  if (browser && os) return `${browser} on ${os}`;
  return browser ?? os ?? 'This browser';
}

function firstMatch(text: string, rules: [RegExp, string][]): string | undefined {
  return rules.find(([pattern]) => pattern.test(text))?.[1];
}
