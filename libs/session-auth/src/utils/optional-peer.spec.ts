import { importOptionalPeer, lazyModule } from './optional-peer.js';

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

describe('lazyModule', () => {
  const fromRequire = { loadedBy: 'require' };
  const fromImport = { loadedBy: 'import' };

  it('loads with import() where the code runs as an ES module (no require: the sources in Jest)', async () => {
    const load = lazyModule(
      () => {
        throw new Error('require must not be called');
      },
      () => Promise.resolve(fromImport),
    );
    await expect(load()).resolves.toBe(fromImport);
  });

  describe('in CommonJS (the published build)', () => {
    const global = globalThis as { require?: unknown };
    beforeEach(() => {
      global.require = () => undefined;
    });
    afterEach(() => {
      delete global.require;
    });

    it('loads with require, never import()', async () => {
      let imports = 0;
      const imported = () => {
        imports += 1;
        return Promise.resolve(fromImport);
      };
      await expect(lazyModule(() => fromRequire, imported)()).resolves.toBe(fromRequire);
      expect(imports).toBe(0);
    });

    it("turns require's throw for a missing package into the start-up error naming it", async () => {
      const missing = Object.assign(new Error("Cannot find module 'ioredis'"), {
        code: 'MODULE_NOT_FOUND',
      });
      const load = lazyModule(
        () => {
          throw missing;
        },
        () => Promise.resolve(fromImport),
      );
      await expect(importOptionalPeer('ioredis', 'the redis option', load)).rejects.toThrow(
        'nestjs-session-auth: the redis option needs the package "ioredis" (npm install ioredis)',
      );
    });
  });
});
