// Scenario 6: the cleanup job over 1,000,000 expired sessions, and what it does to the refresh
// latency of a concurrent load.
import { setTimeout as sleep } from 'node:timers/promises';
import { startDemo } from '../lib/demo.mjs';
import { runLoad, startLoad } from '../lib/load.mjs';
import { atMost, row } from '../lib/report.mjs';
import { seedUsers } from '../lib/seed.mjs';
import { loginSessions } from '../lib/sessions.mjs';
import { ratio, round, summarize } from '../lib/stats.mjs';

const CLEANUP_LINE =
  /cleanup run instance=(\S+) lock=(\S+) ended=(\d+) deleted=(\d+) duration=(\d+)ms started=(\d+) finished=(\d+)/;

export default {
  id: 'cleanup',
  aliases: ['6'],
  order: 6,
  async run({ ctx, settings, log }) {
    // R serves the refresh load and never runs the cleanup; C (started later) runs it every second.
    const r = await startDemo('cleanup-R', ctx.env());
    const instances = [r];
    try {
      return await measure(ctx, settings, log, r, instances);
    } finally {
      await Promise.all(instances.map((demo) => demo.stop()));
    }
  },
};

function parseCleanup(match) {
  return {
    instance: match[1],
    lock: match[2],
    ended: Number(match[3]),
    deleted: Number(match[4]),
    durationMs: Number(match[5]),
    started: Number(match[6]),
    finished: Number(match[7]),
  };
}

/** The first cleanup run of `demo` that did something (already logged, or still to come). */
async function waitForCleanup(demo, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  for (const line of demo.output().split('\n')) {
    const match = CLEANUP_LINE.exec(line);
    if (match && Number(match[3]) + Number(match[4]) > 0) return parseCleanup(match);
  }
  for (;;) {
    const match = await demo.waitForLine(CLEANUP_LINE, Math.max(1, deadline - Date.now()));
    const run = parseCleanup(match);
    if (run.ended + run.deleted > 0) return run;
  }
}

async function measure(ctx, settings, log, r, instances) {
  const problems = [];
  const notes = [];
  const users = await seedUsers(ctx, 100, 'cleanup');
  const sessions = await loginSessions(r.baseUrl, users, 10);

  const seedStarted = Date.now();
  await ctx.query(
    `INSERT INTO sessions (id, user_id, device_id, device_name, user_agent, ip, created_at,
       authenticated_at, last_active_at, idle_expires_at, absolute_expires_at, revoked_at, revoke_reason,
       refresh_nonce)
     SELECT gen_random_uuid(), 'bench-expired-' || (g % $2), NULL, 'Expired bench device',
       'Mozilla/5.0 (X11; Linux x86_64) bench', '127.0.0.1',
       now() - interval '40 days', now() - interval '40 days', now() - interval '8 days',
       now() - interval '1 day' - (g % 1440) * interval '1 minute',
       CASE WHEN g % 2 = 0 THEN now() + interval '20 days' ELSE now() - interval '1 hour' END,
       NULL, NULL, decode(md5(random()::text), 'hex')
     FROM generate_series(1, $1::int) AS g`,
    [settings.cleanupRows, settings.cleanupUsers],
  );
  const seedMs = Date.now() - seedStarted;
  // What autovacuum would do shortly after a bulk load (without statistics the planner guesses
  // blindly); done now so that autovacuum does not do it in the middle of the baseline instead.
  await ctx.query('VACUUM (ANALYZE) sessions');
  log(`seeded ${settings.cleanupRows} expired sessions in ${seedMs} ms`);

  const load = {
    url: r.baseUrl,
    path: '/auth/refresh',
    mode: 'refresh-queue',
    connections: settings.connections,
    overallRate: settings.cleanupRate,
    returnTokens: true,
  };
  const baseline = await runLoad({
    ...load,
    tokens: sessions.map((s) => s.refreshToken),
    duration: settings.duration,
    warmup: settings.warmup,
  });

  const during = startLoad({
    ...load,
    tokens: baseline.tokens,
    duration: settings.cleanupTimeout + 60,
    record: true,
  });
  await sleep(2000);
  const c = await startDemo(
    'cleanup-C',
    ctx.env({ CLEANUP_CRON: '* * * * * *', LOG_LEVEL: 'info' }),
  );
  instances.push(c);
  const cStarted = Date.now();
  let cleanup;
  try {
    cleanup = await waitForCleanup(c, settings.cleanupTimeout * 1000);
  } catch (error) {
    const why = /no log line matching/.test(error.message)
      ? 'still running'
      : error.message.split('\n')[0];
    problems.push(
      `the cleanup did not finish within ${settings.cleanupTimeout} s (BENCH_CLEANUP_TIMEOUT; ${why}): ` +
        'the rows report its progress and rate so far',
    );
  }
  const windowEnd = cleanup?.finished ?? Date.now();
  // Where the job got to (right now, while it may still be running): the first ended row's
  // revoked_at is when its first batch ran, a better start than the instance's start.
  const [progress] = await ctx.query(
    `SELECT count(*) FILTER (WHERE revoke_reason = 'EXPIRED')::int AS ended,
            (extract(epoch FROM min(revoked_at) FILTER (WHERE revoke_reason = 'EXPIRED')) * 1000)::float8 AS "firstEndedAt",
            count(*) FILTER (WHERE revoked_at IS NULL AND (idle_expires_at <= now() OR absolute_expires_at <= now()))::int AS "stillExpired"
     FROM sessions`,
  );
  await sleep(1000);
  during.stop();
  const duringResult = await during.done;
  await c.stop();

  const windowStart = cleanup?.started ?? progress.firstEndedAt ?? cStarted;
  const inWindow = { ok: [], failed: 0 };
  const s = duringResult.samples;
  for (let i = 0; i < s.t.length; i++) {
    if (s.t[i] < windowStart || s.t[i] > windowEnd) continue;
    if (s.status[i] >= 200 && s.status[i] < 300) inWindow.ok.push(s.latency[i]);
    else inWindow.failed++;
  }
  const duringLatency = summarize(inWindow.ok);
  duringResult.samples = undefined;

  for (const [name, res] of Object.entries({ baseline, during: duringResult })) {
    if (res.non2xx || res.errors || res.timeouts || res.starved) {
      problems.push(
        `refresh ${name}: ${res.non2xx} non-2xx, ${res.errors} errors, ${res.timeouts} timeouts, ${res.starved ?? 0} without a free token (${JSON.stringify(res.errorCodes)})`,
      );
    }
  }
  if (progress.stillExpired > 0 && cleanup) {
    problems.push(
      `${progress.stillExpired} expired sessions were still live after the cleanup run`,
    );
  }

  const seconds = cleanup ? cleanup.durationMs / 1000 : (windowEnd - windowStart) / 1000;
  const ended = cleanup ? cleanup.ended : progress.ended;
  const rowsPerSecond = ended / seconds;
  const p99Ratio = ratio(duringLatency.p99, baseline.latency.p99);
  if (!cleanup) {
    notes.push(
      `Not finished: ${progress.ended} of ${settings.cleanupRows} sessions ended after ${round(seconds, 1)} s, ` +
        `i.e. about ${Math.round(settings.cleanupRows / rowsPerSecond)} s for all at that rate.`,
    );
  }
  notes.push(
    `Seeding took ${round(seedMs / 1000, 1)} s (one INSERT ... SELECT generate_series), then VACUUM (ANALYZE) sessions.`,
  );
  return {
    number: '6',
    title: `Cleanup of ${settings.cleanupRows.toLocaleString('en-US')} expired sessions`,
    description:
      `${settings.cleanupRows.toLocaleString('en-US')} expired, unrevoked sessions of ${settings.cleanupUsers.toLocaleString('en-US')} users ` +
      `(half idle-expired, half also past their absolute lifetime) inserted with one INSERT ... SELECT generate_series, ` +
      `next to ${sessions.length} live sessions created by login. Instance R serves a refresh load ` +
      `(${settings.cleanupRate} rotations/s over ${settings.connections} connections, distinct tokens as in scenario 2): ` +
      `first ${settings.duration} s without cleanup (baseline), then while instance C, started with CLEANUP_CRON='* * * * * *', ` +
      `runs the job. Time and row counts come from C's log line; the concurrent p99 covers the responses between its started and finished times.`,
    rows: [
      row('cleanup finished', cleanup ? 'yes' : 'no'),
      row(
        'total time',
        cleanup
          ? round(seconds, 1)
          : `> ${round(seconds, 1)} s (stopped; about ${Math.round(settings.cleanupRows / rowsPerSecond)} s for all at this rate)`,
        cleanup ? 's' : '',
        '<= 60 s',
        cleanup ? atMost(seconds, 60) : false,
      ),
      row('sessions ended', ended),
      row('rows deleted', cleanup?.deleted),
      row('ended sessions/s', round(rowsPerSecond), '/s'),
      row('refresh p50 / p99, baseline', `${baseline.latency.p50} / ${baseline.latency.p99}`, 'ms'),
      row('refresh p50 / p99, during cleanup', `${duringLatency.p50} / ${duringLatency.p99}`, 'ms'),
      row('refresh p99: during / baseline', p99Ratio, 'x', '<= 2x', atMost(p99Ratio, 2)),
      row('refresh failures during cleanup', inWindow.failed),
    ],
    problems,
    notes,
    raw: {
      seedMs,
      cleanup,
      progress,
      baseline: { ...baseline, tokens: undefined },
      during: { ...duringResult, tokens: undefined },
      duringLatency,
    },
  };
}
