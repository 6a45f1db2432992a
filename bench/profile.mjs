// `npm run bench -- --profile` (or `node bench/profile.mjs` after a build): the CPU budget. Each
// profile is one route under load on a fresh instance started with --cpu-prof; the samples inside
// the load window are split into rows (lib/cpu-categories.mjs) and scaled to the main thread's CPU
// time from /proc, then divided by the requests answered in that window. Writes the "CPU budget"
// section of docs/benchmarks.md and docs/cpu-budget.json. See bench/README.md.
import { mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { pathToFileURL } from 'node:url';
import { BenchRun } from './lib/context.mjs';
import { attribute, monotonicUs, readProfile } from './lib/cpu-profile.mjs';
import { renderBudget, writeBudget } from './lib/cpu-budget-report.mjs';
import { REPO_ROOT, startDemo, stopAllDemos } from './lib/demo.mjs';
import { closeHttp, expectStatus, PASSWORD } from './lib/http.mjs';
import { killLoads, runLoad } from './lib/load.mjs';
import { describeMachine, loadAverage } from './lib/machine.mjs';
import { cpuUsage } from './lib/proc-cpu.mjs';
import { seedSessions, seedUsers } from './lib/seed.mjs';
import { loginSessions } from './lib/sessions.mjs';

const BARE_APP = path.join(REPO_ROOT, 'bench/lib/bare-nest-app.mjs');
/** The idle instance's own CPU is measured over IDLE_MS, IDLE_SETTLE_MS after it is ready. */
const IDLE_SETTLE_MS = 500;
const IDLE_MS = 2000;
const LOGIN_CONNECTIONS = 8;

/** The columns of the budget, in order: one route each, on an instance of its own. */
export const PROFILES = [
  { id: 'bare', group: 'guard', route: 'GET /bench/unguarded', app: 'bare Nest app' },
  { id: 'unguarded', group: 'guard', route: 'GET /bench/unguarded', app: 'demo' },
  { id: 'session-guard', group: 'guard', route: 'GET /bench/session-guard', app: 'demo' },
  { id: 'me', group: 'guard', route: 'GET /me', app: 'demo' },
  { id: 'refresh', group: 'refresh', route: 'POST /auth/refresh', app: 'demo' },
  { id: 'login', group: 'login', route: 'POST /auth/login', app: 'demo (bcrypt cost 10)' },
];

const USAGE = `Usage: node bench/profile.mjs [options]   (or: npm run bench -- --profile [options])

  --only=a,b      profiles to take: ${PROFILES.map((p) => p.id).join(', ')}
  --duration=S    seconds of profiled load per route (default 5)
  --warmup=S      unprofiled load before it, same instance (default 2)
  --interval=US   V8 sampling interval in microseconds (default 250)
  --repeat=N      take each profile N times, keep the one with the least CPU per request (1)
  --write         write docs/ even after --only (other columns kept from the last run)
  --no-write      print only
  --keep          keep the .cpuprofile files (their directory is printed)

Environment: BENCH_CONNECTIONS (50), BENCH_PROFILE_REFRESH_SESSIONS (1000), BENCH_DATABASE_URL, REDIS_URL.`;

function parseArgs(argv) {
  const args = { duration: 5, warmup: 2, interval: 250, repeat: 1, keep: false };
  for (const arg of argv) {
    const [key, value] = arg.split('=');
    if (key === '--profile') continue;
    else if (key === '--only') args.only = value.split(',').filter(Boolean);
    else if (key === '--duration') args.duration = Number(value);
    else if (key === '--warmup') args.warmup = Number(value);
    else if (key === '--interval') args.interval = Number(value);
    else if (key === '--repeat') args.repeat = Math.max(1, Number(value));
    else if (key === '--write') args.write = true;
    else if (key === '--no-write') args.write = false;
    else if (key === '--keep') args.keep = true;
    else {
      console.log(USAGE);
      process.exit(key === '--help' || key === '-h' ? 0 : 2);
    }
  }
  for (const id of args.only ?? []) {
    if (!PROFILES.some((p) => p.id === id)) {
      console.error(`unknown profile "${id}"\n\n${USAGE}`);
      process.exit(2);
    }
  }
  return args;
}

/** What each group of profiles needs: a database, migrated, with its users, sessions or tokens. */
const GROUPS = {
  async guard(ctx, setup) {
    const users = await seedUsers(ctx, 10, 'profile');
    const sessions = await seedSessions(
      ctx,
      users.map((u) => u.id),
      100,
    );
    await expectStatus(200, setup.baseUrl, 'GET', '/me', { token: sessions[0].token });
    return { env: ctx.env(), tokens: sessions.map((s) => s.token) };
  },
  async refresh(ctx, setup, log) {
    const count = Number(process.env.BENCH_PROFILE_REFRESH_SESSIONS ?? 1000);
    const users = await seedUsers(ctx, Math.ceil(count / 10), 'profile');
    const sessions = await loginSessions(setup.baseUrl, users, 10);
    log(`${sessions.length} sessions created by login`);
    return { env: ctx.env(), refreshTokens: sessions.map((s) => s.refreshToken) };
  },
  async login(ctx) {
    const users = await seedUsers(ctx, 50, 'profile', 10);
    return { env: ctx.env({ BCRYPT_ROUNDS: '10' }), users: users.map((u) => u.email) };
  },
};

/** The autocannon load of a profile (bench/lib/load-worker.mjs modes). */
function loadFor(profile, data, baseUrl, connections) {
  const [method, route] = profile.route.split(' ');
  const common = { url: baseUrl, path: route, connections };
  if (profile.group === 'guard') return { ...common, mode: 'bearer-pool', tokens: data.tokens };
  if (profile.id === 'refresh') {
    return { ...common, mode: 'refresh-queue', tokens: data.refreshTokens, returnTokens: true };
  }
  if (profile.id === 'login') {
    // Enough logins in flight to keep bcrypt's workers busy, few enough that each is answered
    // within the window (50 would queue for longer than the whole run).
    return {
      ...common,
      connections: Math.min(connections, LOGIN_CONNECTIONS),
      mode: 'login-pool',
      users: data.users,
      password: PASSWORD,
      timeout: 30,
    };
  }
  throw new Error(`no load for ${method} ${route}`);
}

async function takeProfile(profile, data, args, dir, log) {
  const profileDir = path.join(dir, profile.id);
  mkdirSync(profileDir, { recursive: true });
  const nodeArgs = [
    '--cpu-prof',
    `--cpu-prof-dir=${profileDir}`,
    `--cpu-prof-interval=${args.interval}`,
  ];
  const instance =
    profile.id === 'bare'
      ? await startDemo('profile-bare', { LOG_LEVEL: 'warn' }, { entry: BARE_APP, nodeArgs })
      : await startDemo(`profile-${profile.id}`, data.env, { nodeArgs });
  const connections = Number(process.env.BENCH_CONNECTIONS ?? 50);
  let load = loadFor(profile, data, instance.baseUrl, connections);
  let result;
  let window;
  try {
    // What the idle instance spends anyway (timers, the profiler's own signals): taken off the
    // window below, so a slow route (login) is not charged the profiler's cost per second.
    await sleep(IDLE_SETTLE_MS);
    const idleBefore = cpuUsage(instance.pid);
    await sleep(IDLE_MS);
    const idleUsPerSecond =
      ((cpuUsage(instance.pid).mainThreadUs - idleBefore.mainThreadUs) * 1000) / IDLE_MS;
    // Warm until every session of the pool has been seen twice (a fresh instance's near cache
    // and the touch debounce start cold; on a busy machine the set warm-up may not get round).
    const pool = load.mode === 'bearer-pool' ? load.tokens.length : 0;
    let warmed = 0;
    for (let run = 0; args.warmup > 0 && (run === 0 || warmed < 2 * pool) && run < 10; run++) {
      const warm = await runLoad({ ...load, duration: args.warmup });
      warmed += warm.responses;
      if (load.mode === 'refresh-queue') load = { ...load, tokens: warm.tokens };
    }
    const cpuBefore = cpuUsage(instance.pid);
    const fromUs = monotonicUs();
    result = await runLoad({ ...load, duration: args.duration });
    const toUs = monotonicUs();
    const cpuAfter = cpuUsage(instance.pid);
    const idleUs = (idleUsPerSecond * (toUs - fromUs)) / 1e6;
    window = {
      fromUs,
      toUs,
      idleUs,
      mainThreadUs: Math.max(0, cpuAfter.mainThreadUs - cpuBefore.mainThreadUs - idleUs),
      otherThreadsUs: cpuAfter.otherThreadsUs - cpuBefore.otherThreadsUs,
    };
    // The next instance goes on with the live tokens (the first ones are spent now).
    if (load.mode === 'refresh-queue') data.refreshTokens = result.tokens;
  } finally {
    // SIGTERM: the instance exits through process.exit(), which writes the profile.
    await instance.stop();
  }
  const file = readdirSync(profileDir).find((name) => name.endsWith('.cpuprofile'));
  if (!file) throw new Error(`${profile.id}: the instance wrote no .cpuprofile in ${profileDir}`);
  const split = attribute(readProfile(path.join(profileDir, file)), window, REPO_ROOT);
  const requests = result.responses;
  const problems = [];
  if (result.non2xx || result.errors || result.timeouts || result.starved) {
    problems.push(
      `${result.non2xx} non-2xx, ${result.errors} errors, ${result.timeouts} timeouts, ${result.starved ?? 0} without a token ` +
        `(${JSON.stringify(result.errorCodes)})`,
    );
  }
  // The samples say where the main thread's time went; /proc says how much CPU it was (samples
  // are taken on a wall-clock timer, so a thread waiting for a core would inflate them).
  const scale = split.busyUs > 0 ? window.mainThreadUs / split.busyUs : 0;
  const perRequest = (us) => (requests > 0 ? us / requests : 0);
  const measured = {
    ...profile,
    requests,
    ok: result.ok,
    seconds: (window.toUs - window.fromUs) / 1e6,
    requestsPerSecond: requests / ((window.toUs - window.fromUs) / 1e6),
    latency: result.latency,
    cpu: {
      mainThread: perRequest(window.mainThreadUs),
      idleBackground: perRequest(window.idleUs),
      offMainThread: perRequest(window.otherThreadsUs),
      process: perRequest(window.mainThreadUs + window.otherThreadsUs),
      sampledBusy: perRequest(split.busyUs),
    },
    samples: split.samples,
    scale,
    rows: Object.fromEntries(
      Object.entries(split.rows).map(([row, us]) => [row, perRequest(us * scale)]),
    ),
    topFrames: split.frames
      .slice(0, 15)
      .map(({ us, ...frame }) => ({ ...frame, usPerRequest: perRequest(us * scale) })),
    problems,
  };
  log(
    `${profile.id}: ${requests} requests in ${measured.seconds.toFixed(1)} s, ` +
      `${measured.cpu.mainThread.toFixed(0)} us main-thread CPU per request (${split.samples} samples)`,
  );
  return measured;
}

export async function main(argv) {
  const args = parseArgs(argv);
  const chosen = PROFILES.filter((p) => !args.only || args.only.includes(p.id));
  const run = new BenchRun();
  const machine = describeMachine();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'session-auth-profile-'));
  const log = (message) => console.log(`   ${message}`);
  const interrupted = () => {
    killLoads();
    stopAllDemos()
      .then(() => run.cleanup())
      .finally(() => process.exit(130));
  };
  process.once('SIGINT', interrupted);
  process.once('SIGTERM', interrupted);
  console.log(
    `CPU budget ${run.id}: ${chosen.map((p) => p.id).join(', ')}; ${args.duration} s profiled after ` +
      `${args.warmup} s of warm-up, sampling every ${args.interval} us; load average ${loadAverage().join(' ')}`,
  );
  const results = [];
  try {
    for (const group of Object.keys(GROUPS)) {
      const profiles = chosen.filter((p) => p.group === group);
      if (profiles.length === 0) continue;
      const ctx = await run.scenario(`profile-${group}`);
      try {
        // A plain instance migrates the database and makes the logins the profiles need.
        const setup = await startDemo(`profile-${group}-setup`, ctx.env());
        let data;
        try {
          data = await GROUPS[group](ctx, setup, log);
        } finally {
          await setup.stop();
        }
        for (const profile of profiles) {
          // Other work on the machine only ever adds CPU per request (fewer requests per event
          // loop turn): of several takes, the cheapest is the least disturbed.
          const takes = [];
          for (let i = 0; i < args.repeat; i++) {
            takes.push(await takeProfile(profile, data, args, path.join(dir, String(i)), log));
          }
          takes.sort((a, b) => a.cpu.mainThread - b.cpu.mainThread);
          results.push({ ...takes[0], takes: takes.map((t) => Math.round(t.cpu.mainThread)) });
        }
      } finally {
        await ctx.close();
      }
    }
  } finally {
    await run.cleanup();
    closeHttp();
    if (args.keep) console.log(`profiles kept in ${dir}`);
    else rmSync(dir, { recursive: true, force: true });
  }
  const budget = {
    machine,
    loadAverageAtEnd: loadAverage(),
    settings: {
      duration: args.duration,
      warmup: args.warmup,
      intervalUs: args.interval,
      repeat: args.repeat,
    },
    profiles: results,
  };
  console.log(`\n${renderBudget(budget)}`);
  const write = args.write ?? !args.only;
  if (write) console.log(`\nwrote ${await writeBudget(budget)}`);
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  main(process.argv.slice(2)).then(
    () => process.exit(0),
    (error) => {
      console.error(error.stack);
      process.exit(1);
    },
  );
}
