// Scenario 2: POST /auth/refresh with many distinct sessions, each request a different live token.
import { startDemo } from '../lib/demo.mjs';
import { runInterleaved } from '../lib/load.mjs';
import { atLeast, atMost, queueLoadProblems, row } from '../lib/report.mjs';
import { seedUsers } from '../lib/seed.mjs';
import { loginSessions } from '../lib/sessions.mjs';
import { ratio } from '../lib/stats.mjs';

/** Logins per user: few, because every login broadcasts the user's whole session list. */
const SESSIONS_PER_USER = 10;

export default {
  id: 'refresh',
  aliases: ['2'],
  order: 2,
  async run({ ctx, settings, log }) {
    const demo = await startDemo('refresh', ctx.env());
    try {
      return await measure(ctx, settings, log, demo);
    } finally {
      await demo.stop();
    }
  },
};

async function measure(ctx, settings, log, demo) {
  const problems = [];
  const userCount = Math.ceil(settings.refreshSessions / SESSIONS_PER_USER);
  const users = await seedUsers(ctx, userCount, 'refresh');
  const t0 = Date.now();
  const sessions = await loginSessions(demo.baseUrl, users, SESSIONS_PER_USER);
  log(`${sessions.length} sessions created by login in ${Date.now() - t0} ms`);

  const common = { url: demo.baseUrl, connections: settings.connections };
  const { unguarded, refresh } = await runInterleaved(
    {
      unguarded: { ...common, path: '/bench/unguarded', mode: 'plain' },
      refresh: {
        ...common,
        path: '/auth/refresh',
        mode: 'refresh-queue',
        tokens: sessions.map((s) => s.refreshToken),
      },
    },
    { rounds: settings.rounds, duration: settings.duration, warmup: settings.warmup },
  );

  problems.push(...queueLoadProblems({ unguarded, refresh }));
  // Each token was presented once, so nothing may look like reuse. (One live token per session is
  // structural: a session has one generation.)
  const [state] = await ctx.query(
    `SELECT
       (SELECT count(*)::int FROM sessions WHERE revoked_at IS NOT NULL) AS revoked,
       (SELECT coalesce(sum(refresh_generation), 0)::int FROM sessions) AS rotations`,
  );
  if (state.revoked > 0) {
    problems.push(`${state.revoked} sessions were revoked during a load that never reused a token`);
  }

  const vsUnguarded = ratio(refresh.rpsMedian, unguarded.rpsMedian);
  return {
    number: '2',
    title: 'POST /auth/refresh with many distinct sessions',
    description:
      `One instance; ${sessions.length} sessions created through POST /auth/login (${users.length} users x ${SESSIONS_PER_USER}). ` +
      `autocannon (${settings.connections} connections, ${settings.duration} s in ${settings.rounds} rounds interleaved with the ` +
      `unguarded route on the same instance, ${settings.warmup} s of warm-up before each one's first round) ` +
      `takes a different live refresh token from a queue for every request and puts the successor from the ` +
      `response back at the end, so no token is presented twice.`,
    rows: [
      row('unguarded: req/s (median)', unguarded.rpsMedian, 'req/s'),
      row('refresh: rotations/s (median)', refresh.rpsMedian, '/s'),
      row('refresh: latency p50', refresh.latency.p50, 'ms'),
      row(
        'refresh: latency p99',
        refresh.latency.p99,
        'ms',
        '<= 50 ms',
        atMost(refresh.latency.p99, 50),
      ),
      row('refresh / unguarded', vsUnguarded, 'x', '>= 0.4x', atLeast(vsUnguarded, 0.4)),
      row('refresh: non-2xx responses', refresh.non2xx),
    ],
    problems,
    notes: [
      `After the run: ${state.rotations} rotations recorded (generations), ${state.revoked} revoked sessions.`,
    ],
    raw: {
      sessions: sessions.length,
      unguarded,
      refresh: { ...refresh, tokens: undefined },
      databaseState: state,
    },
  };
}
