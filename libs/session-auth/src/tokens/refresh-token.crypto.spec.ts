import { createHash, randomUUID } from 'node:crypto';
import {
  generateNonce,
  looksLikeRefreshToken,
  mintRefreshToken,
  readRefreshToken,
  refreshKeysFrom,
} from './refresh-token.crypto.js';

const [key, otherKey] = refreshKeysFrom(['a'.repeat(32), 'b'.repeat(32)]);
const sessionId = randomUUID();

describe('refresh token crypto', () => {
  describe('mintRefreshToken / readRefreshToken', () => {
    it('reads back the session, the generation and the nonce it was minted with', () => {
      const nonce = generateNonce();
      const token = mintRefreshToken(key, sessionId, 41, nonce);
      expect(token).toMatch(/^[A-Za-z0-9_-]{94}$/);
      expect(readRefreshToken(token, [key])).toEqual({ sessionId, generation: 41, nonce });
    });

    it('derives: the same inputs give the same token, another generation or nonce another one', () => {
      const nonce = generateNonce();
      const token = mintRefreshToken(key, sessionId, 1, nonce);
      expect(mintRefreshToken(key, sessionId, 1, nonce)).toBe(token);
      expect(mintRefreshToken(key, sessionId, 2, nonce)).not.toBe(token);
      expect(mintRefreshToken(key, sessionId, 1, generateNonce())).not.toBe(token);
    });

    it('verifies under any configured key, and refuses a token of a key no longer configured', () => {
      const token = mintRefreshToken(otherKey, sessionId, 3, generateNonce());
      expect(readRefreshToken(token, [key, otherKey])?.generation).toBe(3);
      expect(readRefreshToken(token, [key])).toBeUndefined();
    });

    it('refuses a token whose generation, session or nonce was edited (the MAC covers them)', () => {
      const bytes = Buffer.from(mintRefreshToken(key, sessionId, 7, generateNonce()), 'base64url');
      for (const offset of [2, 17, 21, 22, 37, 69]) {
        const edited = Buffer.from(bytes);
        edited[offset] ^= 1;
        expect(readRefreshToken(edited.toString('base64url'), [key])).toBeUndefined();
      }
    });

    it('refuses another version byte, and strings that are not tokens', () => {
      const bytes = Buffer.from(mintRefreshToken(key, sessionId, 7, generateNonce()), 'base64url');
      bytes[0] = 2;
      expect(readRefreshToken(bytes.toString('base64url'), [key])).toBeUndefined();
      for (const value of ['', 'a'.repeat(94), 'a'.repeat(43), `${'a'.repeat(93)}=`]) {
        expect(readRefreshToken(value, [key])).toBeUndefined();
      }
    });

    it('refuses a non-canonical spelling of a valid token (the spare low bits set; issue 19)', () => {
      const token = mintRefreshToken(key, sessionId, 3, generateNonce());
      const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
      const last = alphabet.indexOf(token.at(-1)!);
      const respelled = token.slice(0, -1) + alphabet[last | 1];

      expect(Buffer.from(respelled, 'base64url')).toEqual(Buffer.from(token, 'base64url'));
      expect(readRefreshToken(respelled, [key])).toBeUndefined();
      expect(readRefreshToken(token, [key])).toMatchObject({ sessionId, generation: 3 });
    });

    it('draws a 128-bit nonce from the CSPRNG', () => {
      const nonces = new Set(Array.from({ length: 1000 }, () => generateNonce().toString('hex')));
      expect(nonces.size).toBe(1000);
      expect(generateNonce()).toHaveLength(16);
    });
  });

  describe('refreshKeysFrom', () => {
    it('derives a key that is not the secret, with an id from its hash', () => {
      const secret = 's'.repeat(40);
      const [derived] = refreshKeysFrom([secret]);
      expect(derived.key).toHaveLength(32);
      expect(derived.key.toString()).not.toContain(secret.slice(0, 32));
      expect(derived.id).toBe(createHash('sha256').update(derived.key).digest()[0]);
      expect(refreshKeysFrom([secret])[0].key.equals(derived.key)).toBe(true);
    });
  });

  describe('looksLikeRefreshToken', () => {
    it('accepts the form it mints', () => {
      expect(looksLikeRefreshToken(mintRefreshToken(key, sessionId, 0, generateNonce()))).toBe(
        true,
      );
    });

    it.each([
      ['too short', 'a'.repeat(93)],
      ['43 characters (a form never issued)', 'a'.repeat(43)],
      ['too long', 'a'.repeat(95)],
      ['padded base64', `${'a'.repeat(93)}=`],
      ['standard base64 alphabet', `${'a'.repeat(93)}+`],
      ['a slash', `${'a'.repeat(93)}/`],
      ['a trailing newline', `${'a'.repeat(94)}\n`],
      ['empty', ''],
      ['a hash instead of a token', 'f'.repeat(64)],
    ])('refuses a string that is %s', (_, value) => {
      expect(looksLikeRefreshToken(value)).toBe(false);
    });

    it.each([[undefined], [null], [42], [{}], [['a'.repeat(43)]], [Buffer.alloc(32)]])(
      'refuses the non-string %p',
      (value) => {
        expect(looksLikeRefreshToken(value)).toBe(false);
      },
    );
  });
});
