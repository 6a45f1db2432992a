import pg from 'pg';
import { cleanupRuns } from '../support/demo-logs.js';
import { type DemoProcess, startDemos, stopDemos } from '../support/demo-process.js';
import { createScratchDatabase, type ScratchDatabase } from '../support/scratch-database.js';
import { eventually, sleep } from '../support/timing.js';

// Security round 2, finding 12: a cleanup holder that stalls past its lock's TTL (a long GC pause,
// a stopped VM) finds another instance holding the lock when it wakes up. It must stop before its
// next batch instead of running on beside the new holder.
//
// The stall is real: the holder is SIGSTOPped while its first batch waits for a table lock the
// test holds. The test then lets that batch through (the statement completes in PostgreSQL; the
// stopped process reads the answer later), waits until the other instance took the lock over and
// finished a run, locks the table again and SIGCONTs the stalled holder. Had it gone on, its next
// batch would queue behind the test's table lock, visible in pg_stat_activity.

const NAME = 'cleanup-fencing';
const LOCK_TTL_S = 1;
/** Twice and a half the library's batch (2,000), so the holder's first batch is a full one. */
const EXPIRED_SESSIONS = 5000;

let database: ScratchDatabase;
let demos: DemoProcess[] = [];

beforeAll(async () => {
  database = await createScratchDatabase('fencing');
  demos = await startDemos(
    ...[0, 1].map((i) => ({
      name: NAME,
      env: {
        DATABASE_URL: `${database.url}?application_name=${NAME}-${i}`,
        CLEANUP_CRON: '* * * * * *',
        CLEANUP_LOCK_TTL: String(LOCK_TTL_S),
      },
    })),
  );
}, 60_000);

afterAll(async () => {
  for (const demo of demos) demo.signal('SIGCONT');
  await stopDemos(...demos);
  await database?.drop();
});

/** application_name of every backend waiting for a lock `client`'s backend holds. */
async function waitingOn(client: pg.Client, pid: number): Promise<string[]> {
  const watcher = new pg.Client({ connectionString: database.url });
  await watcher.connect();
  try {
    const { rows } = await watcher.query<{ application_name: string }>(
      'SELECT application_name FROM pg_stat_activity WHERE $1 = ANY(pg_blocking_pids(pid))',
      [pid],
    );
    return rows.map((row) => row.application_name);
  } finally {
    await watcher.end();
  }
}

async function lockSessions(client: pg.Client, seed: boolean): Promise<number> {
  const [{ pid }] = (await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows;
  await client.query('BEGIN');
  if (seed) {
    await client.query(
      `INSERT INTO sessions (id, user_id, device_name, created_at, authenticated_at, last_active_at,
                             idle_expires_at, absolute_expires_at, refresh_nonce)
       SELECT gen_random_uuid(), 'fencing-user-' || n, 'seed', now() - interval '2 days',
              now() - interval '2 days', now() - interval '2 days', now() - interval '1 day',
              now() + interval '1 day', decode(md5(random()::text), 'hex')
         FROM generate_series(1, $1) AS n`,
      [EXPIRED_SESSIONS],
    );
  }
  await client.query('LOCK TABLE sessions IN SHARE MODE');
  return pid;
}

it('a holder stalled past the lock TTL stops before its next batch once another instance took over', async () => {
  const first = new pg.Client({ connectionString: database.url });
  const second = new pg.Client({ connectionString: database.url });
  await Promise.all([first.connect(), second.connect()]);
  try {
    // 1. The next run's first batch queues behind the test's lock; its connection names the holder.
    const firstPid = await lockSessions(first, true);
    const holderName = await eventually(
      async () => {
        const waiting = await waitingOn(first, firstPid);
        expect(waiting).toHaveLength(1);
        return waiting[0];
      },
      { timeoutMs: 3000, intervalMs: 20 },
    );
    const holder = demos[Number(holderName.slice(NAME.length + 1))];
    const other = demos.find((demo) => demo !== holder)!;

    // 2. Stall it, and let its batch run in the database meanwhile.
    holder.signal('SIGSTOP');
    const stalledAt = Date.now();
    await first.query('COMMIT');

    // 3. Its lock expires; the other instance takes over and finishes a run that ended sessions.
    const takeover = await eventually(
      async () => {
        const run = cleanupRuns(other.output()).find((r) => r.started > stalledAt && r.ended > 0);
        expect(run).toBeDefined();
        return run!;
      },
      { timeoutMs: 8000, intervalMs: 50 },
    );

    // 4. Lock the table again, wake the stalled holder, and watch for its next batch.
    const secondPid = await lockSessions(second, false);
    // Wake it only once the other instance's next run holds the lock (queued behind the test's), so
    // a new run of the woken instance is skipped and whatever it does against the table is the
    // stalled run going on.
    const otherName = `${NAME}-${demos.indexOf(other)}`;
    await eventually(async () => expect(await waitingOn(second, secondPid)).toContain(otherName), {
      timeoutMs: 3000,
      intervalMs: 20,
    });
    holder.signal('SIGCONT');
    const wokeAt = Date.now();
    const seen = new Set<string>();
    while (Date.now() - wokeAt < 2500) {
      for (const name of await waitingOn(second, secondPid)) seen.add(name);
      await sleep(50);
    }
    await second.query('ROLLBACK');
    console.log(
      `cleanup-fencing: holder ${holderName} stalled; ${otherName} took over ${takeover.started - stalledAt} ms ` +
        `later and ended ${takeover.ended}; after waking, waiting backends: ${[...seen].join(', ') || 'none'}`,
    );
    expect(seen.has(holderName)).toBe(false);
    await eventually(async () => expect(holder.output()).toMatch(/cleanup lock lost/), {
      timeoutMs: 2000,
    });
    expect(cleanupRuns(holder.output()).filter((r) => r.finished > stalledAt)).toEqual([]);
  } finally {
    await first.query('ROLLBACK').catch(() => undefined);
    await second.query('ROLLBACK').catch(() => undefined);
    await Promise.all([first.end(), second.end()]);
  }
}, 60_000);
