import { defaultDeviceName, describeUserAgent, toSessionView } from './session-view.js';
import { sessionEntity } from '../test-fakes/session-entity.js';
import type { SessionEntity } from '../persistence/session.entity.js';

const CHROME_ON_WINDOWS =
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';
const FIREFOX_ON_LINUX =
  'Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0';
const SAFARI_ON_IPHONE =
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1';

function session(overrides: Partial<SessionEntity> = {}): SessionEntity {
  return sessionEntity({
    deviceId: 'device-1',
    deviceName: 'Work laptop',
    userAgent: CHROME_ON_WINDOWS,
    ip: '203.0.113.7',
    createdAt: new Date('2030-01-01T10:00:00.000Z'),
    authenticatedAt: new Date('2030-01-01T10:00:00.000Z'),
    lastActiveAt: new Date('2030-01-02T08:30:00.000Z'),
    idleExpiresAt: new Date('2030-01-09T08:30:00.000Z'),
    absoluteExpiresAt: new Date('2030-01-31T10:00:00.000Z'),
    ...overrides,
  });
}

describe('toSessionView', () => {
  it('maps a row to the client view, with browser and OS parsed from the user agent', () => {
    expect(toSessionView(session())).toEqual({
      id: '0b6f1c1e-3a52-4c1e-9d5e-2b0f3c3a9e11',
      deviceName: 'Work laptop',
      browser: 'Chrome 131',
      os: 'Windows 10',
      ip: '203.0.113.7',
      createdAt: '2030-01-01T10:00:00.000Z',
      lastActiveAt: '2030-01-02T08:30:00.000Z',
      deviceBound: false,
      deviceKeySource: null,
      current: false,
    });
  });

  it('says whether the session is bound to a device key, and how, without the key', () => {
    const bound = { keyThumbprint: 'x'.repeat(43), keyAlg: 'ES256' };
    const view = toSessionView(session({ ...bound, keySource: 'dpop' }));
    expect(view).toMatchObject({ deviceBound: true, deviceKeySource: 'dpop' });
    expect(JSON.stringify(view)).not.toContain('x'.repeat(43));
    const jwk = '{"kty":"EC","crv":"P-256","x":"jwk-x","y":"jwk-y"}';
    const dbsc = toSessionView(session({ ...bound, keySource: 'dbsc', keyJwk: jwk }));
    expect(dbsc).toMatchObject({ deviceBound: true, deviceKeySource: 'dbsc' });
    expect(JSON.stringify(dbsc)).not.toContain('jwk-x');
  });

  it('marks the current session, and only it', () => {
    const row = session();

    expect(toSessionView(row, row.id).current).toBe(true);
    expect(toSessionView(row, 'another-id').current).toBe(false);
    expect(toSessionView(row).current).toBe(false);
  });

  it('exposes no user id, device id, token material or lifetimes', () => {
    const view = toSessionView(session());

    expect(Object.keys(view).sort()).toEqual(
      [
        'browser',
        'createdAt',
        'current',
        'deviceBound',
        'deviceKeySource',
        'deviceName',
        'id',
        'ip',
        'lastActiveAt',
        'os',
      ].sort(),
    );
    expect(JSON.stringify(view)).not.toContain('user-1');
    expect(JSON.stringify(view)).not.toContain('device-1');
  });

  it('answers null browser and OS for a row without user agent', () => {
    const view = toSessionView(session({ userAgent: null, deviceName: null, ip: null }));

    expect(view).toMatchObject({ browser: null, os: null, deviceName: null, ip: null });
  });

  it('answers null browser and OS for an unparseable user agent', () => {
    expect(toSessionView(session({ userAgent: 'curl-ish/0' }))).toMatchObject({
      browser: null,
      os: null,
    });
  });
});

describe('describeUserAgent', () => {
  it.each([
    [FIREFOX_ON_LINUX, { browser: 'Firefox 133', os: 'Ubuntu' }],
    [SAFARI_ON_IPHONE, { browser: 'Mobile Safari 17', os: 'iOS 17.5' }],
    [undefined, { browser: null, os: null }],
    ['', { browser: null, os: null }],
  ])('describes %j', (userAgent, expected) => {
    expect(describeUserAgent(userAgent)).toEqual(expected);
  });
});

describe('defaultDeviceName', () => {
  it('names a device "<browser> on <OS>"', () => {
    expect(defaultDeviceName(CHROME_ON_WINDOWS)).toBe('Chrome on Windows');
    expect(defaultDeviceName(SAFARI_ON_IPHONE)).toBe('Mobile Safari on iOS');
  });

  it('falls back to "Unknown device" without a usable user agent', () => {
    expect(defaultDeviceName(undefined)).toBe('Unknown device');
    expect(defaultDeviceName('')).toBe('Unknown device');
    expect(defaultDeviceName('curl-ish/0')).toBe('Unknown device');
  });
});
