import { DbscCredentials, DBSC_CREDENTIAL_TTL_SECONDS } from './dbsc-credential.js';

const SESSION = '0b6f1c1e-3a52-4c1e-9d5e-2b0f3c3a9e11';
const THUMBPRINT = 'A'.repeat(43);
const keys = [Buffer.alloc(32, 1)];

describe('DbscCredentials', () => {
  const credentials = new DbscCredentials(keys);

  it('names the thumbprint it was issued for, for its session, until it expires', () => {
    const now = Date.now();
    const value = credentials.issue(SESSION, THUMBPRINT, now);
    expect(credentials.thumbprintOf(value, SESSION, now)).toBe(THUMBPRINT);
    const expiry = now + DBSC_CREDENTIAL_TTL_SECONDS * 1000;
    expect(credentials.thumbprintOf(value, SESSION, expiry - 1000)).toBe(THUMBPRINT);
    expect(credentials.thumbprintOf(value, SESSION, expiry + 1000)).toBeUndefined();
  });

  it('refuses it for another session, with a changed expiry or thumbprint, or under other keys', () => {
    const value = credentials.issue(SESSION, THUMBPRINT);
    const [expiry, thumbprint, mac] = value.split('.');
    expect(credentials.thumbprintOf(value, SESSION.replace('0', '1'))).toBeUndefined();
    expect(
      credentials.thumbprintOf(`${Number(expiry) + 3600}.${thumbprint}.${mac}`, SESSION),
    ).toBeUndefined();
    expect(credentials.thumbprintOf(`${expiry}.${'B'.repeat(43)}.${mac}`, SESSION)).toBeUndefined();
    expect(new DbscCredentials([Buffer.alloc(32, 2)]).thumbprintOf(value, SESSION)).toBeUndefined();
  });

  it('still takes one issued under a retired key (key rotation)', () => {
    const value = new DbscCredentials([Buffer.alloc(32, 2)]).issue(SESSION, THUMBPRINT);
    const rotated = new DbscCredentials([Buffer.alloc(32, 3), Buffer.alloc(32, 2)]);
    expect(rotated.thumbprintOf(value, SESSION)).toBe(THUMBPRINT);
  });

  it('refuses anything malformed', () => {
    for (const value of [
      undefined,
      42,
      '',
      'a.b.c',
      `1.${THUMBPRINT}`,
      `x.${THUMBPRINT}.${'A'.repeat(22)}`,
    ])
      expect(credentials.thumbprintOf(value, SESSION)).toBeUndefined();
  });
});
