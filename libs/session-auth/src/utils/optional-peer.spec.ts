import { importOptionalPeer } from './optional-peer.js';

describe('importOptionalPeer', () => {
  it('names the missing package and the feature that needs it', async () => {
    await expect(
      importOptionalPeer(
        'no-such-package-xyz',
        'the frobnicate option',
        () =>
          // @ts-expect-error: the package does not exist, which is the point
          import('no-such-package-xyz'),
      ),
    ).rejects.toThrow(
      'nestjs-session-auth: the frobnicate option needs the package "no-such-package-xyz" (npm install no-such-package-xyz)',
    );
  });

  it('passes other load errors through unchanged', async () => {
    const error = new SyntaxError('broken module');

    await expect(importOptionalPeer('x', 'y', () => Promise.reject(error))).rejects.toBe(error);
  });

  it('returns the loaded module', async () => {
    await expect(
      importOptionalPeer('node:os', 'z', () => import('node:os')),
    ).resolves.toHaveProperty('hostname');
  });
});
