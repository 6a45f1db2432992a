import { register } from '../support/auth.js';
import { startDemos, stopDemos, type DemoProcess } from '../support/demo-process.js';
import { ApiClient } from '../support/http-client.js';
import { Redis } from 'ioredis';
import { testEnv } from '../support/env.js';
const rc = new Redis(testEnv().redisUrl);
afterAll(() => rc.disconnect());
let demos: DemoProcess[];
beforeAll(async () => { demos = await startDemos({ name: 'dbg-rev' }, { name: 'dbg-rev' }); }, 60000);
afterAll(() => stopDemos(...demos));
it('dbg', async () => {
  const [a, b] = demos;
  const ca = new ApiClient(a.baseUrl), cb = new ApiClient(b.baseUrl);
  const viol: unknown[] = []; let n = 0;
  const end = Date.now() + 12000;
  await Promise.all([0, 1, 2, 3].map(async (w) => {
    const owner = await register(a.baseUrl);
    for (let i = 0; Date.now() < end; i++) {
      const [x, y, cx, cy] = i % 2 ? [a, b, ca, cb] : [b, a, cb, ca];
      const li = await cx.post('/auth/login', { json: { email: owner.email, password: owner.password } });
      const v = li.body;
      await cy.get('/me', { token: v.accessToken });
      const d = await cx.delete(`/auth/sessions/${v.session.id}`, { token: owner.accessToken });
      const t = Date.now(); n++;
      for (let k = 0; k < 4; k++) {
        const s = Date.now();
        const r = await cy.get('/me', { token: v.accessToken });
        if (r.status === 200) viol.push({ redis: await rc.get(`${a.env.REDIS_KEY_PREFIX}session:${v.session.id}`), ttl: await rc.pttl(`${a.env.REDIS_KEY_PREFIX}session:${v.session.id}`), w, i, k, x: x === a ? 'A' : 'B', startAfter: s - t, endAfter: Date.now() - t, d: d.status });
      }
    }
  }));
  console.log(n, JSON.stringify(viol));
}, 60000);
