import pg from 'pg';
import { login, register, type SignedIn } from '../support/auth.js';
import { cleanupRuns, type CleanupRunLine } from '../support/demo-logs.js';
import { type DemoProcess, startDemos, stopDemos } from '../support/demo-process.js';
import { scanKeys, withRedis } from '../support/global-setup.js';
import { type TestRedisServer, startRedisServer } from '../support/redis-server.js';
import { createScratchDatabase, type ScratchDatabase } from '../support/scratch-database.js';
import { closeAllSessionSockets, connectSessionSocket } from '../support/sockets.js';
import { eventually } from '../support/timing.js';

// The cleanup job under three instances with a one-second cron. Every run that held the lock logs
// one line (`cleanup run instance=... lock=redis|postgres ended=N ... started=T finished=T`); the
// tests read those lines from every instance and compare them with the database:
// - every expired session is ended exactly once in total (the sum of ended= equals the count),
// - no two runs overlap in time, on any instance,
// - a holder killed while it holds the lock is replaced once its lock expires,
// - with Redis stopped, runs go on under the PostgreSQL advisory lock, still one at a time.
// The instances get a database of their own: they end every expired session they can see, and
// other test files leave expired sessions in the run's shared database.

const IDLE_TTL_SECONDS = 2;
const LOCK_TTL_SECONDS = 3;
const BATCH_USERS = 4;
const LOGINS_PER_USER = 4;
/** Each user's registration is a session too. */
const BATCH_SIZE = BATCH_USERS * (1 + LOGINS_PER_USER);
/** Expiry, plus the next tick, plus slack for a loaded machine. */
const ENDED_WITHIN_MS = IDLE_TTL_SECONDS * 1000 + 6_000;
const INSTANCE_NAMES = ['cleanup-a', 'cleanup-b', 'cleanup-c'];

type CleanupRun = CleanupRunLine & {
  /** Which of the test's instances printed it. */
  printedBy: DemoProcess;
};

let database: ScratchDatabase;
let redis: TestRedisServer;
let demos: DemoProcess[] = [];
/** Instances that are still running (the kill test removes one). */
let alive: DemoProcess[] = [];
/** Every session this file created (all of them expire). */
let created = 0;

beforeAll(async () => {
  [database, redis] = await Promise.all([createScratchDatabase('cleanup'), startRedisServer()]);
  demos = await startDemos(
    ...INSTANCE_NAMES.map((instance) => ({
      name: 'cleanup',
      env: {
        // The application name tells the instances' database connections apart.
        DATABASE_URL: `${database.url}?application_name=${instance}`,
        REDIS_URL: redis.url,
        CLEANUP_CRON: '* * * * * *',
        CLEANUP_LOCK_TTL: String(LOCK_TTL_SECONDS),
        REFRESH_IDLE_TTL: String(IDLE_TTL_SECONDS),
      },
    })),
  );
  alive = [...demos];
}, 60_000);

afterAll(async () => {
  closeAllSessionSockets();
  await stopDemos(...demos);
  await redis?.stop();
  await database?.drop();
});

/** Every run line every instance printed so far, in start order. */
function runs(): CleanupRun[] {
  return demos
    .flatMap((demo) => cleanupRuns(demo.output()).map((run) => ({ ...run, printedBy: demo })))
    .sort((x, y) => x.started - y.started || x.finished - y.finished);
}

function totalEnded(list: CleanupRun[] = runs()): number {
  return list.reduce((sum, run) => sum + run.ended, 0);
}

/** A run as a failed expectation prints it. */
function describeRun(run: CleanupRun): string {
  return `${run.instance} lock=${run.lock} ended=${run.ended} [${run.started}, ${run.finished}]`;
}

/** Pairs of consecutive runs (in start order) whose [started, finished] intervals overlap. */
function overlaps(list: CleanupRun[] = runs()): string[] {
  const found: string[] = [];
  for (let i = 1; i < list.length; i++) {
    const [before, after] = [list[i - 1], list[i]];
    if (after.started < before.finished) {
      found.push(`${describeRun(before)} and ${describeRun(after)}`);
    }
  }
  return found;
}

/** `count` sessions: `users` new users, each registered and then signed in `logins` more times. */
async function createSessions(
  instances: DemoProcess[],
  users: number,
  logins: number,
): Promise<SignedIn[]> {
  const at = (i: number) => instances[i % instances.length].baseUrl;
  const registered = await Promise.all(
    Array.from({ length: users }, (_, i) => register(at(i), { deviceName: `Device ${i}.0` })),
  );
  const signedIn = await Promise.all(
    registered.flatMap((user, u) =>
      Array.from({ length: logins }, (_, l) =>
        login(at(u + l + 1), user.email, user.password, { deviceName: `Device ${u}.${l + 1}` }),
      ),
    ),
  );
  created += registered.length + signedIn.length;
  return [...registered, ...signedIn];
}

async function sessionRows(ids: string[]) {
  return database.query<{ id: string; revoked_at: Date | null; revoke_reason: string | null }>(
    'SELECT id, revoked_at, revoke_reason FROM sessions WHERE id = ANY($1::uuid[])',
    [ids],
  );
}

/** Waits until every given session is revoked, then expects all of them ended as EXPIRED. */
async function expectAllExpired(sessions: SignedIn[]): Promise<void> {
  const ids = sessions.map((s) => s.session.id);
  const rows = await eventually(
    async () => {
      const found = await sessionRows(ids);
      expect(found.filter((r) => r.revoked_at === null).map((r) => r.id)).toEqual([]);
      return found;
    },
    { timeoutMs: ENDED_WITHIN_MS, intervalMs: 200 },
  );
  expect(rows).toHaveLength(ids.length);
  expect(rows.filter((r) => r.revoke_reason !== 'EXPIRED')).toEqual([]);
}

/** The sum of ended= over all runs equals the number of sessions in the (test-owned) database. */
async function expectEachSessionEndedOnce(): Promise<void> {
  const [{ count }] = await database.query<{ count: string }>(
    "SELECT count(*) AS count FROM sessions WHERE revoke_reason = 'EXPIRED'",
  );
  // A run logs its line just after its last commit: give the last one a moment.
  await eventually(async () => expect(totalEnded()).toBe(Number(count)), {
    timeoutMs: 3_000,
  });
}

describe('cleanup across three instances', () => {
  it(`ends a batch of ${BATCH_SIZE} expired sessions exactly once, in runs that never overlap`, async () => {
    const batch = await createSessions(alive, BATCH_USERS, LOGINS_PER_USER);
    expect(batch).toHaveLength(BATCH_SIZE);
    const watched = batch[BATCH_SIZE - 1];
    const socket = await connectSessionSocket(alive[2].baseUrl, watched.accessToken, 'watched');

    await expectAllExpired(batch);
    await expectEachSessionEndedOnce();
    expect(totalEnded()).toBe(BATCH_SIZE);

    const all = runs();
    expect(overlaps(all)).toEqual([]);
    expect(all.filter((run) => run.lock !== 'redis').map(describeRun)).toEqual([]);
    // Several runs happened, each on one instance; nothing was old enough to delete.
    expect(all.length).toBeGreaterThan(1);
    expect(all.filter((run) => run.deleted !== 0).map(describeRun)).toEqual([]);

    // The expired session's socket was told why, then disconnected.
    const terminated = await socket.waitFor('SESSION_TERMINATED');
    expect(terminated.payload).toEqual({ sessionId: watched.session.id, reason: 'EXPIRED' });
    expect((await socket.waitForDisconnect()).reason).toBe('io server disconnect');
  });

  it('replaces a lock holder killed in the middle of a run once its lock expires', async () => {
    // Nothing may be left to end: the run that is killed must not have ended anything unlogged.
    expect(await database.query('SELECT id FROM sessions WHERE revoked_at IS NULL')).toEqual([]);
    const blocker = new pg.Client({ connectionString: database.url });
    await blocker.connect();
    let killedAt: number;
    let lockTtlAtKill: number;
    let holder: DemoProcess;
    try {
      // The next run waits for this table lock at its first statement (ending expired sessions),
      // holding the cleanup lock (and renewing it) on whichever instance won it.
      await blocker.query('BEGIN');
      await blocker.query('LOCK TABLE sessions IN SHARE MODE');
      // Exactly one instance is in a run, waiting for the table lock. (Asked over another
      // connection: inside a transaction, PostgreSQL's activity views show a frozen snapshot.)
      const waiter = await eventually(
        async () => {
          const waiting = await database.query<{ application_name: string }>(
            `SELECT a.application_name FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
              WHERE NOT l.granted AND l.relation = 'sessions'::regclass`,
          );
          expect(waiting).toHaveLength(1);
          return waiting[0].application_name;
        },
        { timeoutMs: 5_000, intervalMs: 25 },
      );
      holder = demos[INSTANCE_NAMES.indexOf(waiter)];
      expect({ waiter, found: alive.includes(holder) }).toEqual({ waiter, found: true });
      // The cleanup lock, the deployment's only key about the cleanup (the prefix names the
      // deployment, which is also called 'cleanup': look past it).
      const prefix = holder.env.REDIS_KEY_PREFIX;
      const lockKeys = await withRedis(redis.url, async (r) =>
        (await scanKeys(r, prefix)).filter((key) => key.slice(prefix.length).includes('cleanup')),
      );
      expect(lockKeys).toHaveLength(1);
      const [lockKey] = lockKeys;

      process.kill(holder.pid, 'SIGKILL');
      killedAt = Date.now();
      alive = alive.filter((demo) => demo !== holder);
      lockTtlAtKill = await withRedis(redis.url, (r) => r.pttl(lockKey));
      // The dead holder's lock is still there: the others must wait for it to expire.
      expect(lockTtlAtKill).toBeGreaterThan(0);
      expect(lockTtlAtKill).toBeLessThanOrEqual(LOCK_TTL_SECONDS * 1000);
    } finally {
      await blocker.query('ROLLBACK').catch(() => undefined);
      await blocker.end();
    }
    const lockExpiredAt = killedAt + lockTtlAtKill;

    // New sessions expire while (or after) the dead holder's lock runs out; the others end them.
    const batch = await createSessions(alive, 1, 2);
    await expectAllExpired(batch);
    await expectEachSessionEndedOnce();
    expect(totalEnded()).toBe(created);

    const after = runs().filter((run) => run.started >= killedAt);
    expect(after.length).toBeGreaterThan(0);
    expect(after.filter((run) => run.printedBy === holder).map(describeRun)).toEqual([]);
    // No one ran while the dead holder's lock was still valid, and someone took over at the first
    // tick after it expired (ticks are one second apart).
    expect(after[0].started).toBeGreaterThanOrEqual(lockExpiredAt - 50);
    expect(after[0].started).toBeLessThanOrEqual(lockExpiredAt + 2_000);
    expect(overlaps()).toEqual([]);
  });

  it('with Redis stopped, runs go on under the PostgreSQL advisory lock, one at a time', async () => {
    expect(alive.length).toBeGreaterThanOrEqual(2);
    await redis.stop();
    const stoppedAt = Date.now();

    const batch = await createSessions(alive, 2, 4);
    await expectAllExpired(batch);
    await expectEachSessionEndedOnce();
    expect(totalEnded()).toBe(created);

    const during = runs().filter((run) => run.started > stoppedAt);
    expect(during.length).toBeGreaterThan(1);
    expect(during.filter((run) => run.lock !== 'postgres').map(describeRun)).toEqual([]);
    expect(totalEnded(during)).toBe(batch.length);
    expect(overlaps()).toEqual([]);
    // The instances are all still up.
    for (const demo of alive) expect((await fetch(`${demo.baseUrl}/health`)).status).toBe(200);
  });
});
