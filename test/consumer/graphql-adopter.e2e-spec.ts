import { DEFAULT_PASSWORD } from '../support/auth.js';
import { ApiClient, type ApiResponse } from '../support/http-client.js';
import { type Adopter, bringUpAdopter } from './support/adopter.js';
import { ADOPTER_USER_IDS, adopterLogin } from './support/adopter-client.js';
import { NODE_APP_TSCONFIG } from './support/consumer-app.js';
import { PLATFORMS } from './support/platforms.js';
import { GRAPHQL_VERSIONS } from './starters/versions.js';

// A GraphQL adopter from the packed tarball: code-first @nestjs/graphql with Apollo on Express, a
// resolver guarded by SessionAuthGuard that reads @CurrentUser() and @CurrentSession() from the
// GraphQL context, checked over HTTP against the running app.

const ME_QUERY = '{ me { userId sessionId } }';
/**
 * skipLibCheck on: @nestjs/graphql's and @nestjs/apollo's own .d.ts name their optional peers
 * (ts-morph, @apollo/gateway), which this app does not install. The package's .d.ts are checked
 * with skipLibCheck off by the minimal and full adopters.
 */
const TSCONFIG = {
  ...NODE_APP_TSCONFIG,
  compilerOptions: { ...NODE_APP_TSCONFIG.compilerOptions, skipLibCheck: true },
};

let adopter: Adopter;

beforeAll(async () => {
  adopter = bringUpAdopter({
    recipe: {
      name: 'graphql',
      layers: ['shared', 'express', 'graphql'],
      dependencies: [
        ...['@nestjs/common', '@nestjs/core', 'reflect-metadata', 'rxjs'],
        ...['@nestjs/typeorm', 'typeorm', 'pg', ...PLATFORMS.express.dependencies],
        ...Object.keys(GRAPHQL_VERSIONS),
      ],
      devDependencies: ['typescript', '@types/node', ...PLATFORMS.express.devDependencies],
      pinned: GRAPHQL_VERSIONS,
      tsconfig: TSCONFIG,
    },
    databaseTag: 'consumer_graphql',
    env: { REDIS_URL: undefined },
  });
  await adopter.settled();
}, 300_000);

afterAll(async () => {
  console.info(`consumer app graphql: ${adopter?.timings()}`);
  await adopter?.dispose();
});

async function query(token?: string): Promise<ApiResponse> {
  const { baseUrl } = await adopter.running;
  return new ApiClient(baseUrl).post('/graphql', { json: { query: ME_QUERY }, token });
}

describe('GraphQL adopter (code-first, Apollo)', () => {
  it('compiles with its own tsc, strict', async () => {
    await adopter.compiled;
  });

  it('starts as a real process with the GraphQL endpoint', async () => {
    await adopter.started;
  });

  it('answers the guarded query with the signed-in user and session', async () => {
    const { baseUrl } = await adopter.running;
    const device = await adopterLogin(baseUrl, 'grace', DEFAULT_PASSWORD);
    const response = await query(device.accessToken);
    expect(response.status).toBe(200);
    expect(response.body).toEqual({
      data: { me: { userId: ADOPTER_USER_IDS.grace, sessionId: device.sessionId } },
    });
  });

  it.each([
    ['no token', undefined, 'ACCESS_TOKEN_MISSING'],
    ['a garbage token', 'garbage', 'ACCESS_TOKEN_INVALID'],
  ])('refuses the query with %s and says why', async (_, token, code) => {
    const response = await query(token);
    expect(response.body?.data ?? null).toBeNull();
    expect(response.body?.errors).toEqual([
      expect.objectContaining({ extensions: expect.objectContaining({ code: 'UNAUTHENTICATED' }) }),
    ]);
    expect(JSON.stringify(response.body.errors)).toContain(code);
  });
});
