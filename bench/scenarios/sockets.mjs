// Scenario 7: 10,000 idle authenticated sockets on one instance: memory per socket, and how long
// SESSIONS_UPDATED takes to reach all 10 devices of one user while they are connected.
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { sampleRssKb, startDemo } from '../lib/demo.mjs';
import { expectStatus, login, register } from '../lib/http.mjs';
import { atMost, row } from '../lib/report.mjs';
import { seedSessions, seedUsers } from '../lib/seed.mjs';
import { connectMany, probeSocket } from '../lib/sockets.mjs';
import { round, summarize } from '../lib/stats.mjs';

const DEVICES = 10;
const BROADCAST_TIMEOUT_MS = 5000;
const CONNECT_BUDGET_MS = 120_000;

export default {
  id: 'sockets',
  aliases: ['7'],
  order: 7,
  async run({ ctx, settings, log }) {
    const demo = await startDemo('sockets', ctx.env());
    const cleanups = [];
    try {
      return await measure(ctx, settings, log, demo, cleanups);
    } finally {
      for (const fn of cleanups.reverse()) await fn();
      await demo.stop();
    }
  },
};

async function measure(ctx, settings, log, demo, cleanups) {
  const problems = [];
  const notes = [];
  const userCount = Math.max(1, Math.round(settings.sockets / 100));
  const users = await seedUsers(ctx, userCount, 'sockets');
  const sessions = await seedSessions(
    ctx,
    users.map((u) => u.id),
    Math.round(settings.sockets / userCount),
  );

  // Warm the handshake path (and the guard) before the "before" reading.
  await expectStatus(200, demo.baseUrl, 'GET', '/bench/session-guard', {
    token: sessions[0].token,
  });
  for (const s of sessions.slice(0, 20)) (await probeSocket(demo.baseUrl, s.token)).close();
  await sleep(3000);
  const rssBefore = await sampleRssKb(demo);

  const connection = await connectMany(
    demo.baseUrl,
    sessions.map((s) => s.token),
    { workerCount: 4, concurrency: 50, deadline: Date.now() + CONNECT_BUDGET_MS },
  );
  cleanups.push(() => connection.close());
  log(`${connection.connected} sockets connected in ${connection.ms} ms`);
  await sleep(3000);
  const rssAfter = await sampleRssKb(demo);
  const held = await connection.status();
  if (connection.failed || connection.notAttempted) {
    problems.push(
      `${connection.failed} handshakes failed and ${connection.notAttempted} were not attempted within ` +
        `${CONNECT_BUDGET_MS / 1000} s (${JSON.stringify(connection.errors)})`,
    );
  }
  if (held.disconnects > 0) problems.push(`${held.disconnects} idle sockets were disconnected`);
  const kbPerSocket = connection.connected
    ? (rssAfter - rssBefore) / connection.connected
    : undefined;

  // The user with 10 devices, connected beside the idle ones.
  const email = 'ten-devices@bench.example';
  const first = await register(demo.baseUrl, email, 'device 1');
  const tokens = [first.accessToken];
  for (let i = 2; i <= DEVICES; i++)
    tokens.push((await login(demo.baseUrl, email, `device ${i}`)).accessToken);
  const devices = [];
  cleanups.push(() => devices.forEach((socket) => socket.close()));
  for (const token of tokens) {
    const socket = await probeSocket(demo.baseUrl, token);
    socket.updates = [];
    socket.on('SESSIONS_UPDATED', ({ sessions: list }) => {
      socket.updates.push({ at: performance.now(), ids: new Set(list.map((s) => s.id)) });
    });
    devices.push(socket);
  }

  const trials = [];
  for (let i = 0; i < settings.broadcastTrials; i++) {
    for (const socket of devices) socket.updates = [];
    const sentAt = performance.now();
    const body = await login(demo.baseUrl, email, `trigger ${i}`);
    const id = body.session.id;
    const deadline = sentAt + BROADCAST_TIMEOUT_MS;
    let arrivals;
    while (performance.now() < deadline) {
      arrivals = devices.map((socket) => socket.updates.find((u) => u.ids.has(id))?.at);
      if (arrivals.every((at) => at !== undefined)) break;
      await sleep(1);
    }
    const got = arrivals.filter((at) => at !== undefined);
    trials.push(
      got.length === DEVICES
        ? { allMs: Math.max(...got) - sentAt, firstMs: Math.min(...got) - sentAt }
        : { missing: DEVICES - got.length },
    );
    await sleep(50);
  }
  const complete = trials.filter((t) => t.missing === undefined);
  if (complete.length < trials.length) {
    problems.push(
      `${trials.length - complete.length} of ${trials.length} broadcasts did not reach all ${DEVICES} devices within ${BROADCAST_TIMEOUT_MS} ms`,
    );
  }
  const all = summarize(complete.map((t) => t.allMs));
  const firstToLast = summarize(complete.map((t) => t.allMs - t.firstMs));
  const afterBroadcast = await connection.status();
  if (afterBroadcast.disconnects > held.disconnects) {
    problems.push(
      `${afterBroadcast.disconnects - held.disconnects} idle sockets dropped during the broadcasts`,
    );
  }
  const leaked = Object.entries(afterBroadcast.events).filter(([name]) => name !== 'connect');
  if (leaked.length > 0)
    problems.push(
      `the idle sockets of other users received events: ${JSON.stringify(afterBroadcast.events)}`,
    );
  notes.push(
    "Memory is the growth of the demo process's VmRSS (median of 5 readings) from before the sockets to 3 s after the last one connected; " +
      'it includes garbage not yet collected, so it is an upper bound.',
  );

  return {
    number: '7',
    title: `${settings.sockets.toLocaleString('en-US')} idle authenticated sockets on one instance`,
    description:
      `One instance. ${sessions.length} sessions (${userCount} users x ${Math.round(settings.sockets / userCount)}) inserted into the database with ` +
      `access tokens signed with the run's secret; one socket.io client per session (namespace /sessions, websocket ` +
      `transport) in 4 separate client processes. Then a user with ${DEVICES} devices (sessions created by register + logins) ` +
      `connects ${DEVICES} more sockets; ${settings.broadcastTrials} times, a login of that user, and the time from sending it ` +
      `until all ${DEVICES} sockets have a SESSIONS_UPDATED that lists the new session.`,
    rows: [
      row('sockets connected', `${connection.connected} / ${sessions.length}`),
      row(
        'connect time (rate)',
        `${round(connection.ms / 1000, 1)} s (${Math.round(connection.connected / (connection.ms / 1000))}/s)`,
      ),
      row(
        'demo RSS before / after',
        `${Math.round(rssBefore / 1024)} / ${Math.round(rssAfter / 1024)}`,
        'MiB',
      ),
      row(
        'memory per idle socket',
        round(kbPerSocket, 1),
        'KB',
        '<= 30 KB',
        atMost(kbPerSocket, 30),
      ),
      row(`login -> SESSIONS_UPDATED on all ${DEVICES} devices: p50`, all.p50, 'ms'),
      row(
        `login -> SESSIONS_UPDATED on all ${DEVICES} devices: p99 / max`,
        `${all.p99} / ${all.max}`,
        'ms',
      ),
      row('first -> last device: p50 / p99', `${firstToLast.p50} / ${firstToLast.p99}`, 'ms'),
    ],
    problems,
    notes,
    raw: {
      rssBeforeKb: rssBefore,
      rssAfterKb: rssAfter,
      connection: { ...connection, status: held },
      trials,
      all,
      firstToLast,
    },
  };
}
