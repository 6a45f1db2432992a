import { Redis } from 'ioredis';
import { login, register, type SignedIn } from '../support/auth.js';
import { insertLiveSessions, query } from '../support/database.js';
import { type DemoProcess, startDemos, stopDemos } from '../support/demo-process.js';
import { testEnv } from '../support/env.js';
import { expectStatus } from '../support/expect-http.js';
import { nowSeconds, signHmacJwt } from '../support/jwt.mjs';
import { closeAllSessionSockets, connectSessionSocket, ownSessionIn } from '../support/sockets.js';
import { sleep } from '../support/timing.js';

// A change to a user's sessions costs one SESSIONS_UPDATED, sent once to the user's room (one
// publish through Redis to every instance), not one list per session (N messages of N entries).
// And a user has at most 100 sessions by default, which bounds what that one message carries.

const SESSIONS = 1000;
const DEFAULT_MAX_SESSIONS = 100;
/** After the list arrived, how long to keep counting publishes that a per-session fan-out would add. */
const STRAGGLERS_MS = 1_000;

let big: DemoProcess;
let capped: DemoProcess;

beforeAll(async () => {
  [big, capped] = await startDemos(
    { name: 'fan-out', env: { MAX_SESSIONS_PER_USER: String(SESSIONS) } },
    { name: 'fan-out-default-cap' },
  );
});

afterAll(async () => {
  closeAllSessionSockets();
  await stopDemos(big, capped);
});

/** Counts the publishes of SESSIONS_UPDATED on an instance's socket.io channels in Redis. */
async function countListPublishes(
  demo: DemoProcess,
): Promise<{ count: () => number; stop: () => void }> {
  const subscriber = new Redis(testEnv().redisUrl);
  let count = 0;
  subscriber.on('pmessageBuffer', (_pattern: Buffer, _channel: Buffer, message: Buffer) => {
    if (message.includes('SESSIONS_UPDATED')) count++;
  });
  await subscriber.psubscribe(`${demo.env.REDIS_KEY_PREFIX}socket.io#/sessions#*`);
  return { count: () => count, stop: () => subscriber.disconnect() };
}

function accessTokenFor(owner: SignedIn, sessionId: string): string {
  const iat = nowSeconds();
  return signHmacJwt(
    { sub: owner.user.id, sid: sessionId, jti: `fan-out-${sessionId}`, iat, exp: iat + 600 },
    testEnv().jwtSecret,
  );
}

it(`one change to a user with ${SESSIONS} sessions costs one publish, and every device gets the same list`, async () => {
  const owner = await register(big.baseUrl, { deviceName: 'Owner laptop' });
  const seeded = await insertLiveSessions(owner.user.id, SESSIONS - 1);
  const ownerSocket = await connectSessionSocket(big.baseUrl, owner.accessToken, 'owner');
  const otherSocket = await connectSessionSocket(
    big.baseUrl,
    accessTokenFor(owner, seeded[1]),
    'a seeded device',
  );
  const publishes = await countListPublishes(big);
  try {
    const before = Date.now();
    expectStatus(
      await owner.client.delete(`/auth/sessions/${seeded[0]}`, { token: owner.accessToken }),
      204,
    );

    const left = SESSIONS - 1;
    const [mine, theirs] = await Promise.all(
      [ownerSocket, otherSocket].map((socket) =>
        socket.waitFor('SESSIONS_UPDATED', (p) => p.sessions.length === left, 20_000),
      ),
    );
    console.log(
      `a change for a user with ${SESSIONS} sessions: list on both devices after ${Math.max(mine.at, theirs.at) - before} ms`,
    );
    await sleep(STRAGGLERS_MS);

    expect(publishes.count()).toBe(1);
    expect(mine.payload).toEqual(theirs.payload);
    expect(mine.payload.sessions.some((s) => s.id === seeded[0])).toBe(false);
    expect(mine.payload.sessions.filter((s) => 'current' in s)).toEqual([]);
    expect(ownSessionIn(ownerSocket, mine.payload.sessions)?.id).toBe(owner.session.id);
    expect(ownSessionIn(otherSocket, theirs.payload.sessions)?.id).toBe(seeded[1]);
    expect(ownerSocket.eventsNamed('SESSIONS_UPDATED')).toHaveLength(1);
  } finally {
    publishes.stop();
  }
}, 60_000);

it(`by default a user keeps at most ${DEFAULT_MAX_SESSIONS} sessions: one more sign-in ends the least recently active`, async () => {
  const first = await register(capped.baseUrl, { deviceName: 'Oldest' });
  await insertLiveSessions(first.user.id, DEFAULT_MAX_SESSIONS - 1);
  // Seeded sessions look active seconds before the sign-in: make the first the least recently active.
  await query(`UPDATE sessions SET last_active_at = now() - interval '1 day' WHERE id = $1`, [
    first.session.id,
  ]);

  const next = await login(capped.baseUrl, first.email, first.password, { deviceName: 'Newest' });

  const live = await query<{ id: string }>(
    'SELECT id FROM sessions WHERE user_id = $1 AND revoked_at IS NULL',
    [first.user.id],
  );
  expect(live).toHaveLength(DEFAULT_MAX_SESSIONS);
  expect(live.map((row) => row.id)).toContain(next.session.id);
  const [ended] = await query<{ revoke_reason: string }>(
    'SELECT revoke_reason FROM sessions WHERE id = $1',
    [first.session.id],
  );
  expect(ended.revoke_reason).toBe('SESSION_LIMIT');
});
