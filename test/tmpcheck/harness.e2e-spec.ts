import { startRedisServer } from '../support/redis-server.js';
import { withRedis, scanKeys } from '../support/global-setup.js';
import { testEnv } from '../support/env.js';
import { query } from '../support/database.js';
import { ApiClient } from '../support/http-client.js';
import { createServer } from 'node:http';

it('redis server harness', async () => {
  const r = await startRedisServer();
  await withRedis(r.url, (c) => c.set('k', 'v'));
  await r.stop();
  expect(r.isRunning()).toBe(false);

  await r.restart();
  expect(await withRedis(r.url, (c) => c.get('k'))).toBeNull();
  await r.stop();
});

it('writes keys to shared redis under prefix and db works', async () => {
  const { redisUrl, redisPrefix } = testEnv();
  await withRedis(redisUrl, (c) => c.set(`${redisPrefix}x:y`, '1'));
  expect(await withRedis(redisUrl, (c) => scanKeys(c, redisPrefix))).toEqual([`${redisPrefix}x:y`]);
  expect(await query('select 1 as one')).toEqual([{ one: 1 }]);
});

it('client cookie jar', async () => {
  const server = createServer((req, res) => {
    if (req.url === '/auth/set') {
      res.setHeader('set-cookie', 'refresh_token=abc%2Bd; Max-Age=10; Path=/auth; HttpOnly; SameSite=Strict');
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ cookie: req.headers.cookie ?? null }));
    } else if (req.url === '/auth/clear') {
      res.setHeader('set-cookie', 'refresh_token=; Path=/auth; Expires=Thu, 01 Jan 1970 00:00:00 GMT');
      res.statusCode = 204; res.end();
    } else { res.setHeader('content-type', 'application/json'); res.end(JSON.stringify({ cookie: req.headers.cookie ?? null })); }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as any).port;
  const c = new ApiClient(`http://127.0.0.1:${port}`);
  const a = await c.post('/auth/set');
  expect(a.cookies.refresh_token).toMatchObject({ value: 'abc+d', maxAge: 10, cleared: false, attributes: { httponly: true, path: '/auth', samesite: 'Strict' } });
  expect(c.refreshToken).toBe('abc+d');
  expect((await c.get('/auth/x')).body.cookie).toBe('refresh_token=abc%2Bd');
  expect((await c.get('/me')).body.cookie).toBeNull();
  const cl = await c.post('/auth/clear');
  expect(cl.cookies.refresh_token.cleared).toBe(true);
  expect(c.refreshToken).toBeUndefined();
  server.closeAllConnections(); server.close();
});
