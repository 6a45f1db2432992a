import type { HttpRequestLike } from '../http/http-types.js';
import { challengeHeader, readSfString, registrationHeader, sfString } from './dbsc-headers.js';

const request = (value?: string | string[]): HttpRequestLike => ({
  headers: { 'sec-secure-session-id': value },
});
const read = (value?: string | string[]) => readSfString(request(value), 'Sec-Secure-Session-Id');

describe('DBSC headers', () => {
  it('writes the registration and challenge headers as the draft shows them', () => {
    expect(registrationHeader('/auth/dbsc/registration', 'cv')).toBe(
      '(ES256);path="/auth/dbsc/registration";challenge="cv"',
    );
    expect(challengeHeader('new challenge', 'my session')).toBe('"new challenge";id="my session"');
    expect(sfString('a"b\\c')).toBe('"a\\"b\\\\c"');
  });

  it('reads an sf-string, its escapes, and ignores its parameters', () => {
    expect(read('"session-id"')).toBe('session-id');
    expect(read('"a\\"b\\\\c";x=1')).toBe('a"b\\c');
    expect(read(' "id" ')).toBe('id');
  });

  it('takes a bare value as is (some agents send the JWT unquoted)', () => {
    expect(read('eyJ.eyJ.sig')).toBe('eyJ.eyJ.sig');
  });

  it('refuses absent, repeated, unterminated, badly escaped or oversized values', () => {
    expect(read(undefined)).toBeUndefined();
    expect(read(['"a"', '"b"'])).toBeUndefined();
    expect(read('"open')).toBeUndefined();
    expect(read('"bad\\x"')).toBeUndefined();
    expect(read('"tab\there"')).toBeUndefined();
    expect(read('bare space')).toBeUndefined();
    expect(read(`"${'a'.repeat(9000)}"`)).toBeUndefined();
  });
});
