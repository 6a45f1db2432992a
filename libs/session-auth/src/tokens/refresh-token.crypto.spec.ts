import { createHash } from 'node:crypto';
import {
  generateRefreshToken,
  hashRefreshToken,
  looksLikeRefreshToken,
  openSuccessor,
  sealSuccessor,
} from './refresh-token.crypto.js';

describe('refresh token crypto', () => {
  describe('generateRefreshToken', () => {
    it('returns 256 random bits as unpadded base64url', () => {
      const token = generateRefreshToken();

      expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(Buffer.from(token, 'base64url')).toHaveLength(32);
    });

    it('never repeats itself', () => {
      const tokens = new Set(Array.from({ length: 1000 }, () => generateRefreshToken()));

      expect(tokens.size).toBe(1000);
    });

    it('uses the whole alphabet over many tokens (not a fixed or hex-only string)', () => {
      const characters = new Set(
        Array.from({ length: 200 }, () => generateRefreshToken())
          .join('')
          .split(''),
      );

      expect(characters.size).toBeGreaterThan(60);
    });
  });

  describe('hashRefreshToken', () => {
    it('is the hex SHA-256 of the token', () => {
      const token = generateRefreshToken();

      expect(hashRefreshToken(token)).toBe(createHash('sha256').update(token).digest('hex'));
      expect(hashRefreshToken(token)).toMatch(/^[0-9a-f]{64}$/);
    });

    it('matches a known SHA-256 vector', () => {
      expect(hashRefreshToken('abc')).toBe(
        'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
      );
    });

    it('is deterministic, differs per token, and never equals the token', () => {
      const a = generateRefreshToken();
      const b = generateRefreshToken();

      expect(hashRefreshToken(a)).toBe(hashRefreshToken(a));
      expect(hashRefreshToken(a)).not.toBe(hashRefreshToken(b));
      expect(hashRefreshToken(a)).not.toBe(a);
      expect(hashRefreshToken(a)).not.toContain(a);
    });
  });

  describe('looksLikeRefreshToken', () => {
    it('accepts what generateRefreshToken issues', () => {
      for (let i = 0; i < 50; i++) expect(looksLikeRefreshToken(generateRefreshToken())).toBe(true);
    });

    it.each([
      ['too short', 'a'.repeat(42)],
      ['too long', 'a'.repeat(44)],
      ['padded base64', `${'a'.repeat(42)}=`],
      ['standard base64 alphabet', `${'a'.repeat(42)}+`],
      ['a slash', `${'a'.repeat(42)}/`],
      ['a space', `${'a'.repeat(42)} `],
      ['a trailing newline', `${'a'.repeat(43)}\n`],
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

  describe('sealSuccessor / openSuccessor', () => {
    const spent = generateRefreshToken();
    const successor = generateRefreshToken();

    it('round-trips the successor for the holder of the spent token', () => {
      expect(openSuccessor(spent, sealSuccessor(spent, successor))).toBe(successor);
    });

    it('refuses a sealed successor whose authentication tag was cut short', () => {
      // GCM checks only as many tag bytes as it is given: without a pinned tag length, 4 bytes of
      // the right tag would open this (a 2^32 guess). Sealed '' is iv (12) + tag (16), no body.
      const sealed = sealSuccessor(spent, '');
      const truncated = sealed.subarray(0, 12 + 4);

      expect(openSuccessor(spent, truncated)).toBeUndefined();
    });

    it('does not contain the successor or the spent token in clear', () => {
      const sealed = sealSuccessor(spent, successor);

      expect(sealed.toString('latin1')).not.toContain(successor);
      expect(sealed.toString('latin1')).not.toContain(spent);
      expect(sealed.toString('base64url')).not.toContain(successor);
    });

    it('uses a fresh IV each time, so sealing twice gives different bytes that both open', () => {
      const first = sealSuccessor(spent, successor);
      const second = sealSuccessor(spent, successor);

      expect(first.equals(second)).toBe(false);
      expect(first.subarray(0, 12).equals(second.subarray(0, 12))).toBe(false);
      expect(openSuccessor(spent, first)).toBe(successor);
      expect(openSuccessor(spent, second)).toBe(successor);
    });

    it('is iv (12) + tag (16) + ciphertext as long as the successor', () => {
      expect(sealSuccessor(spent, successor)).toHaveLength(12 + 16 + successor.length);
    });

    it('yields undefined when opened with another token', () => {
      const sealed = sealSuccessor(spent, successor);

      expect(openSuccessor(generateRefreshToken(), sealed)).toBeUndefined();
      expect(openSuccessor(successor, sealed)).toBeUndefined();
    });

    it('yields undefined when any byte of iv, tag or ciphertext was changed', () => {
      const sealed = sealSuccessor(spent, successor);
      for (const index of [0, 11, 12, 27, 28, sealed.length - 1]) {
        const tampered = Buffer.from(sealed);
        tampered[index] ^= 0x01;
        expect(openSuccessor(spent, tampered)).toBeUndefined();
      }
    });

    it('yields undefined for truncated or empty input instead of throwing', () => {
      const sealed = sealSuccessor(spent, successor);

      expect(openSuccessor(spent, sealed.subarray(0, sealed.length - 1))).toBeUndefined();
      expect(openSuccessor(spent, sealed.subarray(0, 20))).toBeUndefined();
      expect(openSuccessor(spent, Buffer.alloc(0))).toBeUndefined();
    });
  });
});
