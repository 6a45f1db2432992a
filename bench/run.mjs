// `npm run bench`: runs the scenarios of issue 6 one at a time, prints a table and writes
// docs/benchmarks.md and docs/benchmarks.json. See bench/README.md.
import { performance } from 'node:perf_hooks';
import { calibrate } from './lib/calibrate.mjs';
import { BenchRun } from './lib/context.mjs';
import { stopAllDemos } from './lib/demo.mjs';
import { closeHttp } from './lib/http.mjs';
import { killLoads } from './lib/load.mjs';
import { cpuBusyPercent, describeMachine, loadAverage, waitForQuiet } from './lib/machine.mjs';
import { DOCS_MD, mergeWithPrevious, textTable, writeDocs } from './lib/report.mjs';
import { killSocketWorkers } from './lib/sockets.mjs';
import cleanup from './scenarios/cleanup.mjs';
import guard from './scenarios/guard.mjs';
import login from './scenarios/login.mjs';
import peer from './scenarios/peer.mjs';
import refresh from './scenarios/refresh.mjs';
import refreshBound from './scenarios/refresh-bound.mjs';
import sessionNew from './scenarios/session-new.mjs';
import sockets from './scenarios/sockets.mjs';

const SCENARIOS = [guard, refresh, refreshBound, login, sessionNew, cleanup, sockets, peer];

const USAGE = `Usage: npm run bench [-- options]

  --only=a,b      run only these scenarios: ${SCENARIOS.map((s) => [s.id, ...s.aliases].join('|')).join(', ')}
  --duration=S    seconds per load run (default 10, env BENCH_DURATION)
  --warmup=S      unmeasured seconds before each load run (default 2, env BENCH_WARMUP)
  --write         also write docs/ after a partial (--only) run; the other scenarios are kept
  --no-write      do not write docs/ (a full run writes them by default)
  --wait-idle[=S] before each scenario wait up to S s (default 120) until the CPU is < 30% busy
                  (other work on the machine makes every number worse)
  --list          list the scenarios and exit
  --profile       the CPU budget instead (bench/profile.mjs; node bench/profile.mjs --help)

Other knobs (environment): BENCH_CONNECTIONS (50), BENCH_ROUNDS (2, interleaved rounds in 1, 2 and 8), BENCH_CLEANUP_ROWS (1000000),
BENCH_CLEANUP_USERS (100000), BENCH_CLEANUP_TIMEOUT (120 s), BENCH_SOCKETS (10000),
BENCH_DEMO_LOGS=1 (echo the demo instances' logs), BENCH_DATABASE_URL, REDIS_URL.`;

function parseArgs(argv) {
  const args = { only: undefined, write: undefined, list: false, waitIdle: undefined };
  for (const arg of argv) {
    const [key, value] = arg.split('=');
    if (key === '--only') args.only = value.split(',').filter(Boolean);
    else if (key === '--duration') args.duration = Number(value);
    else if (key === '--warmup') args.warmup = Number(value);
    else if (key === '--write') args.write = true;
    else if (key === '--no-write') args.write = false;
    else if (key === '--list') args.list = true;
    else if (key === '--wait-idle') args.waitIdle = value === undefined ? 120 : Number(value);
    else if (key === '--help' || key === '-h') {
      console.log(USAGE);
      process.exit(0);
    } else {
      console.error(`unknown option ${arg}\n\n${USAGE}`);
      process.exit(2);
    }
  }
  return args;
}

function numberFrom(value, fallback) {
  const n = Number(value);
  return value !== undefined && value !== '' && Number.isFinite(n) && n >= 0 ? n : fallback;
}

function settingsFrom(args) {
  const env = process.env;
  return {
    duration: args.duration ?? numberFrom(env.BENCH_DURATION, 10),
    warmup: args.warmup ?? numberFrom(env.BENCH_WARMUP, 2),
    connections: numberFrom(env.BENCH_CONNECTIONS, 50),
    rounds: Math.max(1, Math.round(numberFrom(env.BENCH_ROUNDS, 2))),
    guardSessions: 1000,
    revocationTrials: 50,
    refreshSessions: numberFrom(env.BENCH_REFRESH_SESSIONS, 2000),
    loginUsers: 50,
    bcryptCost: 10,
    bcryptSeconds: 5,
    probeConnections: 10,
    probeRate: 200,
    sessionNewLogins: 100,
    cleanupRows: numberFrom(env.BENCH_CLEANUP_ROWS, 1_000_000),
    cleanupUsers: numberFrom(env.BENCH_CLEANUP_USERS, 100_000),
    cleanupTimeout: numberFrom(env.BENCH_CLEANUP_TIMEOUT, 120),
    cleanupRate: 250,
    sockets: numberFrom(env.BENCH_SOCKETS, 10_000),
    broadcastTrials: 20,
  };
}

function select(only) {
  if (!only) return SCENARIOS;
  const chosen = new Set();
  for (const name of only) {
    const scenario = SCENARIOS.find((s) => s.id === name || s.aliases.includes(name));
    if (!scenario) {
      console.error(`unknown scenario "${name}"\n\n${USAGE}`);
      process.exit(2);
    }
    chosen.add(scenario);
  }
  return SCENARIOS.filter((s) => chosen.has(s));
}

async function main() {
  // `npm run bench -- --profile`: the CPU budget instead of the scenarios (bench/profile.mjs).
  if (process.argv.includes('--profile')) {
    const { main: profile } = await import('./profile.mjs');
    return profile(process.argv.slice(2));
  }
  const args = parseArgs(process.argv.slice(2));
  if (args.list) {
    for (const s of SCENARIOS) console.log(`${s.id} (${s.aliases.join(', ')})`);
    return;
  }
  const settings = settingsFrom(args);
  const scenarios = select(args.only);
  const partial = scenarios.length < SCENARIOS.length;
  const run = new BenchRun();
  const machine = describeMachine();
  const started = performance.now();

  let interrupted = false;
  process.once('SIGINT', () => {
    interrupted = true;
    console.error('\ninterrupted: stopping instances and removing the run databases and keys');
    killLoads();
    killSocketWorkers();
    stopAllDemos()
      .then(() => run.cleanup())
      .finally(() => process.exit(130));
  });

  try {
    await run.admin((client) => client.query('SELECT 1'));
  } catch (error) {
    console.error(
      `PostgreSQL is not reachable (${error.message}); start it, e.g. docker compose up -d postgres redis`,
    );
    process.exit(1);
  }

  console.log(
    `session-auth bench ${run.id}: ${scenarios.map((s) => s.id).join(', ')}; ` +
      `${settings.duration} s per load run after ${settings.warmup} s warm-up, ${settings.connections} connections`,
  );
  const results = [];
  let calibration;
  try {
    const calibrationCtx = await run.scenario('calibration');
    try {
      calibration = await calibrate(calibrationCtx);
      console.log(
        `round trips: Redis GET p50 ${calibration.redisGet.p50} ms, PostgreSQL SELECT 1 p50 ` +
          `${calibration.postgresSelect1.p50} ms, one-row UPDATE ... RETURNING (a commit) p50 ` +
          `${calibration.postgresUpdateReturning.p50} ms / p99 ${calibration.postgresUpdateReturning.p99} ms`,
      );
    } finally {
      await calibrationCtx.close();
    }
    for (const scenario of scenarios) {
      if (interrupted) break;
      const quiet =
        args.waitIdle !== undefined
          ? await waitForQuiet(30, args.waitIdle)
          : { busy: await cpuBusyPercent(), waitedSeconds: 0 };
      const t0 = performance.now();
      const loadStart = loadAverage();
      console.log(
        `\n== ${scenario.id} (CPU ${quiet.busy}% busy before it` +
          `${quiet.waitedSeconds ? ` after waiting ${quiet.waitedSeconds} s` : ''}; load average ${loadStart.join(' ')})`,
      );
      const ctx = await run.scenario(scenario.id);
      let produced;
      try {
        produced = [].concat(await scenario.run({ ctx, settings, log }));
      } catch (error) {
        console.error(`${scenario.id} failed: ${error.stack}`);
        produced = [
          { number: scenario.aliases[0], title: scenario.id, error: error.message, rows: [] },
        ];
        await stopAllDemos();
      } finally {
        await ctx.close();
      }
      const seconds = (performance.now() - t0) / 1000;
      const loadEnd = loadAverage();
      produced.forEach((result, i) => {
        results.push({
          id: produced.length > 1 ? `${scenario.id}:${result.number}` : scenario.id,
          order: scenario.order + i / 10,
          runId: run.id,
          ...result,
          loadAverage: { start: loadStart, end: loadEnd },
          cpuBusyBefore: quiet.busy,
          waitedForQuietSeconds: quiet.waitedSeconds,
          seconds,
        });
      });
      console.log(`${scenario.id} done in ${Math.round(seconds)} s`);
      for (const r of produced) console.log(textTable([r]));
    }
  } finally {
    await run.cleanup();
    console.log(
      `\nremoved ${run.removed.databases} database(s) and ${run.removed.redisKeys} Redis key(s) of run ${run.id}`,
    );
    closeHttp();
  }

  const seconds = (performance.now() - started) / 1000;
  console.log(`\nsession-auth benchmarks (${Math.round(seconds)} s, commit ${machine.commit})\n`);
  console.log(textTable(results));

  const document = {
    latestRunId: run.id,
    runs: {
      [run.id]: {
        machine,
        settings,
        calibration,
        seconds,
        partial,
        scenarioIds: scenarios.map((s) => s.id),
      },
    },
    scenarios: results,
  };
  const write = args.write ?? !partial;
  if (write && !interrupted) {
    await writeDocs(partial ? mergeWithPrevious(document) : document);
    console.log(`\nwrote ${DOCS_MD} and docs/benchmarks.json`);
  } else if (!interrupted) {
    console.log(`\n(partial run: docs/ left as they were; add --write to merge these results in)`);
  }
}

function log(message) {
  console.log(`   ${message}`);
}

// Exit explicitly: a stray handle (a socket a scenario forgot) must not keep the run alive.
main().then(
  () => process.exit(process.exitCode ?? 0),
  (error) => {
    console.error(error.stack);
    process.exit(1);
  },
);
