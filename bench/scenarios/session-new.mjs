// Scenario 4: SESSION_NEW delivery from a login on instance A to a socket on instance B.
import { performance } from 'node:perf_hooks';
import { clearTimeout, setTimeout } from 'node:timers';
import { setTimeout as sleep } from 'node:timers/promises';
import { startDemo } from '../lib/demo.mjs';
import { login } from '../lib/http.mjs';
import { atMost, row } from '../lib/report.mjs';
import { seedSessions, seedUsers } from '../lib/seed.mjs';
import { probeSocket } from '../lib/sockets.mjs';
import { summarize } from '../lib/stats.mjs';

const USERS = 20;
const DELIVERY_TIMEOUT_MS = 2000;

export default {
  id: 'session-new',
  aliases: ['4'],
  order: 4,
  async run({ ctx, settings }) {
    const [a, b] = await Promise.all([
      startDemo('session-new-A', ctx.env()),
      startDemo('session-new-B', ctx.env()),
    ]);
    const sockets = [];
    try {
      return await measure(ctx, settings, a, b, sockets);
    } finally {
      sockets.forEach((socket) => socket.close());
      await Promise.all([a.stop(), b.stop()]);
    }
  },
};

async function measure(ctx, settings, a, b, sockets) {
  const problems = [];
  const users = await seedUsers(ctx, USERS, 'session-new');
  const seeded = await seedSessions(
    ctx,
    users.map((u) => u.id),
    1,
  );
  // Arrivals by session id, per receiving user: { wall: Date.now(), at: performance.now(), session }.
  const arrivals = users.map(() => new Map());
  const waiters = new Map();
  for (const [i, s] of seeded.entries()) {
    const socket = await probeSocket(b.baseUrl, s.token);
    sockets.push(socket);
    socket.on('SESSION_NEW', ({ session }) => {
      const arrival = { wall: Date.now(), at: performance.now(), session };
      arrivals[i].set(session.id, arrival);
      waiters.get(session.id)?.(arrival);
    });
  }

  const trials = [];
  const loginUser = new Map();
  const perUser = Math.ceil(settings.sessionNewLogins / USERS);
  for (let round = 0; round < perUser; round++) {
    for (const [i, user] of users.entries()) {
      if (trials.length >= settings.sessionNewLogins) break;
      const sentAt = performance.now();
      const body = await login(a.baseUrl, user.email);
      const sessionId = body.session.id;
      loginUser.set(sessionId, i);
      const arrival =
        arrivals[i].get(sessionId) ??
        (await new Promise((resolve) => {
          const timer = setTimeout(() => resolve(undefined), DELIVERY_TIMEOUT_MS);
          waiters.set(sessionId, (value) => {
            clearTimeout(timer);
            resolve(value);
          });
        }));
      waiters.delete(sessionId);
      trials.push(
        arrival
          ? {
              // Server clock at session creation to client clock at receipt: the same machine.
              fromCreatedMs: arrival.wall - Date.parse(arrival.session.createdAt),
              fromLoginSentMs: arrival.at - sentAt,
              loginMs: performance.now() - sentAt,
            }
          : { missed: true },
      );
      await sleep(20);
    }
  }

  const delivered = trials.filter((t) => !t.missed);
  if (delivered.length < trials.length) {
    problems.push(
      `${trials.length - delivered.length} of ${trials.length} SESSION_NEW events never arrived on B`,
    );
  }
  // Isolation: a socket may only ever hear about its own user's sessions.
  let leaked = 0;
  for (const [i, map] of arrivals.entries()) {
    for (const id of map.keys()) if (loginUser.get(id) !== i) leaked++;
  }
  if (leaked > 0) problems.push(`${leaked} SESSION_NEW events reached a socket of another user`);

  const fromCreated = summarize(delivered.map((t) => t.fromCreatedMs));
  const fromSent = summarize(delivered.map((t) => t.fromLoginSentMs));
  const p99 = delivered.length < trials.length ? undefined : fromCreated.p99;
  return {
    number: '4',
    title: 'SESSION_NEW delivery across instances',
    description:
      `Two instances sharing Redis. ${USERS} users each have one socket connected to B; ${trials.length} logins ` +
      `(bcrypt cost 4), one at a time, round robin over the users, on A. Latency is from the session's createdAt ` +
      `(server clock, taken just before the INSERT) to the SESSION_NEW event arriving on B's socket (same machine, same clock).`,
    rows: [
      row('delivered / logins', `${delivered.length} / ${trials.length}`),
      row('session created -> SESSION_NEW on B: p50', fromCreated.p50, 'ms'),
      row(
        'session created -> SESSION_NEW on B: p99',
        p99 ?? `> ${DELIVERY_TIMEOUT_MS}`,
        'ms',
        '<= 20 ms',
        p99 === undefined ? false : atMost(p99, 20),
      ),
      row(
        'login request sent -> SESSION_NEW on B: p50 / p99',
        `${fromSent.p50} / ${fromSent.p99}`,
        'ms',
      ),
    ],
    problems,
    notes: ['createdAt has millisecond resolution, so each value is +-1 ms.'],
    raw: { fromCreated, fromSent, trials },
  };
}
