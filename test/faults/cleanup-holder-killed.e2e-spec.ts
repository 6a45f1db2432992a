import pg from 'pg';
import { type DemoProcess, startDemo } from '../support/demo-process.js';
import { cleanupRuns, type CleanupRunLine } from '../support/demo-logs.js';
import { testEnv } from '../support/env.js';
import { withRedis } from '../support/global-setup.js';
import { createScratchDatabase, type ScratchDatabase } from '../support/scratch-database.js';
import { eventually } from '../support/timing.js';

// `kill -9` of the instance holding the cleanup lock: its Redis lock is not released, so the other
// instances respect it until it expires (CLEANUP_LOCK_TTL) and then one of them takes over and
// completes cleanup runs; runs never overlap.
//
// Holding the lock at the moment of the kill takes some arranging: a run lasts milliseconds and
// releases the lock at once, so killing "the instance that logged the last run" would almost never
// kill a holder. Instead the test holds a SHARE lock on `sessions` in its own transaction:
// the next run blocks in its first statement there, holding (and renewing) the cleanup lock. The
// holder is then found in pg_stat_activity (each instance connects with its own application_name)
// and SIGKILLed; then the test's transaction ends so the next holder's runs can complete.

const INSTANCES = 3;
const LOCK_TTL_S = 3;
const NAME = 'cleanup-kill';

let demos: DemoProcess[] = [];
// A database of its own: rows other test files leave in the run's database (expired sessions for
// the cleanup to end, open transactions) must not decide when the instances' runs block.
let database: ScratchDatabase;

beforeAll(async () => {
  database = await createScratchDatabase('cleanup_kill');
  const started = await Promise.allSettled(
    Array.from({ length: INSTANCES }, (_, i) => {
      const url = new URL(database.url);
      url.searchParams.set('application_name', `${NAME}-${i}`);
      return startDemo({
        name: NAME,
        env: {
          DATABASE_URL: url.toString(),
          CLEANUP_CRON: '* * * * * *',
          CLEANUP_LOCK_TTL: String(LOCK_TTL_S),
        },
      });
    }),
  );
  demos = started.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
  const failed = started.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (failed) throw failed.reason;
}, 60_000);

afterAll(async () => {
  await Promise.all(demos.map((demo) => demo.stop()));
  await database?.drop();
});

function allRuns(): (CleanupRunLine & { demo: DemoProcess })[] {
  return demos
    .flatMap((demo) => cleanupRuns(demo.output()).map((run) => ({ ...run, demo })))
    .sort((x, y) => x.started - y.started);
}

it('after kill -9 of the lock holder, another instance completes cleanup once the lock TTL has passed; runs never overlap', async () => {
  // The cron runs: some instance completes runs every second.
  await eventually(async () => expect(allRuns().length).toBeGreaterThanOrEqual(2), {
    timeoutMs: 10_000,
    intervalMs: 200,
  });
  for (const run of allRuns()) expect(demos.map((d) => d.pid)).toContain(run.pid);

  const blocker = new pg.Client({ connectionString: database.url });
  await blocker.connect();
  let killed: DemoProcess | undefined;
  let killedAt = 0;
  let lockAtKill: { value: string | null; pttl: number } | undefined;
  try {
    await blocker.query('BEGIN');
    await blocker.query('LOCK TABLE sessions IN SHARE MODE');
    const blockedAt = Date.now();

    // The next run blocks on its first statement on sessions; its connection names its instance.
    const holder = await eventually(
      async () => {
        // pg_stat_activity is snapshotted once per transaction, and the blocker sits in one: without
        // this, a backend the pool opened after the first look would never show up.
        await blocker.query('SELECT pg_stat_clear_snapshot()');
        const rows = (
          await blocker.query<{ application_name: string }>(
            // Waiting for a lock on sessions (while being parsed, pg_stat_activity may still
            // show such a backend as idle with its previous query, so pg_locks is what tells).
            `SELECT a.application_name FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
              WHERE NOT l.granted AND l.relation = 'sessions'::regclass
                AND a.application_name LIKE $1`,
            [`${NAME}-%`],
          )
        ).rows;
        expect(rows).toHaveLength(1);
        return rows[0].application_name;
      },
      // The run's query gives up after the pool's query_timeout (5 s): find it before that.
      { timeoutMs: 4500, intervalMs: 50 },
    );
    killed = demos[Number(holder.slice(NAME.length + 1))];
    const prefix = killed.env.REDIS_KEY_PREFIX;
    lockAtKill = await withRedis(testEnv().redisUrl, async (redis) => ({
      value: await redis.get(`${prefix}lock:cleanup`),
      pttl: await redis.pttl(`${prefix}lock:cleanup`),
    }));
    killed.signal('SIGKILL');
    killedAt = Date.now();
    console.log(
      `cleanup-holder-killed: run blocked ${killedAt - blockedAt} ms after the table lock; ` +
        `killed pid ${killed.pid} (${holder}); its lock had ${lockAtKill.pttl} ms to live`,
    );
  } finally {
    await blocker.query('ROLLBACK').catch(() => undefined);
    await blocker.end();
  }

  expect(await killed.exited).toMatchObject({ signal: 'SIGKILL' });
  // The killed process held the Redis lock (a live key with at most the TTL left).
  expect(lockAtKill).toEqual({ value: expect.any(String), pttl: expect.any(Number) });
  expect(lockAtKill!.pttl).toBeGreaterThan(0);
  expect(lockAtKill!.pttl).toBeLessThanOrEqual(LOCK_TTL_S * 1000);

  // Another instance completes a run after the lock expired: within TTL + a few seconds.
  const survivors = demos.filter((demo) => demo !== killed);
  const takeover = await eventually(
    async () => {
      const run = allRuns().find((r) => r.demo !== killed && r.finished > killedAt);
      expect(run).toBeDefined();
      return run!;
    },
    { timeoutMs: LOCK_TTL_S * 1000 + 5000, intervalMs: 100 },
  );
  // And keeps running them (the cron goes on), on the survivors only.
  await eventually(
    async () =>
      expect(allRuns().filter((r) => r.started > killedAt).length).toBeGreaterThanOrEqual(3),
    { timeoutMs: LOCK_TTL_S * 1000 + 6000, intervalMs: 200 },
  );

  const runs = allRuns();
  const afterKill = runs.filter((r) => r.started > killedAt);
  console.log(
    `cleanup-holder-killed: first run by another instance (pid ${takeover.pid}, lock=${takeover.lock}) ` +
      `started ${takeover.started - killedAt} ms and finished ${takeover.finished - killedAt} ms after the kill; ` +
      `${runs.length} runs in all, ${afterKill.length} after the kill`,
  );
  expect(survivors.map((d) => d.pid)).toContain(takeover.pid);
  expect(afterKill.every((r) => r.demo !== killed)).toBe(true);
  // The dead holder's lock was respected: no other instance started a run while it could still
  // be alive (it had at least TTL - one renewal interval left; 1 s is a safe floor).
  expect(takeover.started - killedAt).toBeGreaterThanOrEqual(1000);
  expect(takeover.finished - killedAt).toBeLessThanOrEqual(LOCK_TTL_S * 1000 + 5000);

  // No two runs overlap, whichever instance ran them (sorted by start).
  const overlaps = runs
    .slice(1)
    .flatMap((run, i) =>
      run.started < runs[i].finished ? [{ previous: runs[i], next: run }] : [],
    );
  expect(
    overlaps.map(({ previous, next }) => ({
      previous: [previous.instance, previous.started, previous.finished],
      next: [next.instance, next.started, next.finished],
    })),
  ).toEqual([]);
}, 60_000);
