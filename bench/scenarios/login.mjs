// Scenario 3: login at bcrypt cost 10 against the raw bcrypt rate, and the p99 of a guarded GET /me
// while a login storm runs compared with the same probe on an idle instance.
import { execFile } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { startDemo } from '../lib/demo.mjs';
import { cpuUsage } from '../lib/proc-cpu.mjs';
import { performance } from 'node:perf_hooks';
import { expectStatus, PASSWORD } from '../lib/http.mjs';
import { runLoad } from '../lib/load.mjs';
import { atLeast, atMost, row } from '../lib/report.mjs';
import { seedSessions, seedUsers } from '../lib/seed.mjs';
import { ratio, round } from '../lib/stats.mjs';

const BCRYPT_WORKER = path.join(
  path.dirname(fileURLToPath(import.meta.url)),
  '../lib/bcrypt-worker.mjs',
);

export default {
  id: 'login',
  aliases: ['3'],
  order: 3,
  async run({ ctx, settings, log }) {
    const cost = settings.bcryptCost;
    const demo = await startDemo('login', ctx.env({ BCRYPT_ROUNDS: String(cost) }));
    try {
      return await measure(ctx, settings, log, demo, cost);
    } finally {
      await demo.stop();
    }
  },
};

async function measure(ctx, settings, log, demo, cost) {
  const problems = [];
  const users = await seedUsers(ctx, settings.loginUsers, 'login', cost);
  const [probeUser] = await seedUsers(ctx, 1, 'probe', cost);
  const [probe] = await seedSessions(ctx, [probeUser.id], 1);
  await expectStatus(200, demo.baseUrl, 'GET', '/me', { token: probe.token });
  await expectStatus(200, demo.baseUrl, 'POST', '/auth/login', {
    body: { email: users[0].email, password: PASSWORD },
  });

  // The raw rate: a separate process doing bcrypt.compare at the same cost, 2 at a time (the
  // machine has 2 cores), while the demo is idle.
  const { stdout } = await promisify(execFile)(process.execPath, [
    BCRYPT_WORKER,
    String(cost),
    String(settings.bcryptSeconds),
    '2',
  ]);
  const raw = JSON.parse(stdout);
  log(`raw bcrypt.compare at cost ${cost}: ${raw.perSecond.toFixed(1)}/s (2 in parallel)`);

  const probeLoad = {
    url: demo.baseUrl,
    path: '/me',
    mode: 'bearer-pool',
    tokens: [probe.token],
    connections: settings.probeConnections,
    overallRate: settings.probeRate,
    duration: settings.duration,
  };
  const idle = await runLoad({ ...probeLoad, warmup: settings.warmup });
  // Where the 2 cores go during the storm: the demo's main thread (JavaScript) and its other
  // threads (libuv's pool, where bcrypt runs), read from /proc around the storm.
  const cpuBefore = cpuUsage(demo.pid);
  const stormStarted = performance.now();
  const [storm, duringStorm] = await Promise.all([
    runLoad({
      url: demo.baseUrl,
      path: '/auth/login',
      mode: 'login-pool',
      users: users.map((u) => u.email),
      password: PASSWORD,
      connections: settings.connections,
      duration: settings.duration,
      // 50 logins queue behind ~20 bcrypt compares a second: count slow ones, do not drop them.
      timeout: 30,
    }),
    runLoad(probeLoad),
  ]);

  const stormUs = (performance.now() - stormStarted) * 1000;
  const cpuAfter = cpuUsage(demo.pid);
  const cores = (key) => round((cpuAfter[key] - cpuBefore[key]) / stormUs, 2);
  const mainCores = cores('mainThreadUs');
  const poolCores = cores('otherThreadsUs');
  for (const [name, r] of Object.entries({ idle, storm, duringStorm })) {
    if (r.non2xx || r.errors || r.timeouts) {
      problems.push(
        `${name}: ${r.non2xx} non-2xx, ${r.errors} errors, ${r.timeouts} timeouts (${JSON.stringify(r.errorCodes)})`,
      );
    }
  }
  const loginsPerSecond = storm.rpsMean;
  const vsRaw = ratio(loginsPerSecond, raw.perSecond);
  const p99Ratio = ratio(duringStorm.latency.p99, idle.latency.p99);
  return {
    number: '3',
    title: `Login at bcrypt cost ${cost}`,
    description:
      `One instance with BCRYPT_ROUNDS=${cost}; ${users.length} users whose password hashes have cost ${cost}. ` +
      `The raw rate is bcrypt.compare in a separate process, 2 in parallel, for ${settings.bcryptSeconds} s, while the demo is idle. ` +
      `The storm is POST /auth/login from autocannon, ${settings.connections} connections for ${settings.duration} s, users round robin. ` +
      `The probe is GET /me (SessionAuthGuard plus a user lookup) at ${settings.probeRate} req/s over ${settings.probeConnections} connections, ` +
      `first on the idle instance, then during the storm.`,
    rows: [
      row(`raw bcrypt.compare rate (cost ${cost}, 2 parallel)`, raw.perSecond, '/s'),
      row('logins/s (2xx over the run)', loginsPerSecond, '/s'),
      row('logins / raw bcrypt rate', vsRaw, 'x', '>= 0.9x', atLeast(vsRaw, 0.9)),
      row('login latency p50 / p99', `${storm.latency.p50} / ${storm.latency.p99}`, 'ms'),
      row(
        "demo's CPU during the storm: main thread / other threads (bcrypt)",
        `${mainCores} / ${poolCores}`,
        'cores',
      ),
      row('GET /me idle: p50 / p99', `${idle.latency.p50} / ${idle.latency.p99}`, 'ms'),
      row(
        'GET /me during the storm: p50 / p99',
        `${duringStorm.latency.p50} / ${duringStorm.latency.p99}`,
        'ms',
      ),
      row('GET /me p99: storm / idle', p99Ratio, 'x', '<= 2x', atMost(p99Ratio, 2)),
    ],
    problems,
    notes: [
      `bcrypt cost ${cost} for this scenario (the other scenarios use cost 4 for their set-up logins; it does not enter their numbers).`,
      `One raw compare took ${raw.compareMs.p50} ms (p50) with 2 in parallel.`,
    ],
    raw: { bcrypt: raw, idle, storm, duringStorm, cpuDuringStorm: { mainCores, poolCores } },
  };
}
