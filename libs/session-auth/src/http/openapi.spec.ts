import { ApiTags, loadOpenApi } from './openapi.js';

describe('deferred @nestjs/swagger decorators', () => {
  it('applies what was recorded before the package loads, and later ones at once', async () => {
    const applied: [string, unknown[], object][] = [];
    const fakeSwagger = {
      ApiTags:
        (...args: unknown[]) =>
        (target: object) => {
          applied.push(['ApiTags', args, target]);
        },
    };
    @ApiTags('before')
    class Before {}

    expect(applied).toEqual([]);
    await loadOpenApi(async () => fakeSwagger);
    expect(applied).toEqual([['ApiTags', ['before'], Before]]);

    @ApiTags('after')
    class After {}
    expect(applied).toEqual([
      ['ApiTags', ['before'], Before],
      ['ApiTags', ['after'], After],
    ]);
  });
});
