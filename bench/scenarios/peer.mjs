// Scenario 8 ("Performance round 2"): the library against the peer users pick today, better-auth
// with Redis secondary storage, on the same machine with the same load. Two better-auth servers
// (bench/peer/better-auth-server.mjs) share one database and one Redis prefix: one with the
// default session.updateAge (a session check that only reads) and one with updateAge 0 (every
// check extends the session's expiry, i.e. writes it back to Redis).
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { REDIS_URL } from '../lib/context.mjs';
import { REPO_ROOT, startDemo } from '../lib/demo.mjs';
import { expectStatus } from '../lib/http.mjs';
import { runInterleaved } from '../lib/load.mjs';
import { atLeast, row } from '../lib/report.mjs';
import { seedSessions, seedUsers } from '../lib/seed.mjs';
import { loginSessions } from '../lib/sessions.mjs';
import { ratio } from '../lib/stats.mjs';
import {
  GET_SESSION,
  peerSessions,
  storedExpiry,
  verifyPeer,
  stripTokens,
} from '../peer/peer-client.mjs';

const PEER_ENTRY = path.join(REPO_ROOT, 'bench/peer/better-auth-server.mjs');
/** better-auth's default session.updateAge (one day): a check of a fresh session only reads. */
const DEFAULT_UPDATE_AGE = 86400;
/** As in the guard and refresh scenarios. */
const CHECK_USERS = 10;
const EXTEND_SESSIONS_PER_USER = 10;
/** The target for both ratios: ours at least twice theirs. */
const TARGET = 2;
const execFileAsync = promisify(execFile);

export default {
  id: 'peer',
  aliases: ['8', 'better-auth'],
  order: 8,
  async run({ ctx, settings, log }) {
    const peer = await preparePeer(ctx);
    const started = [];
    try {
      const results = await Promise.allSettled([
        startDemo('peer-demo', ctx.env()),
        startDemo('better-auth-check', peer.env(DEFAULT_UPDATE_AGE), { entry: PEER_ENTRY }),
        startDemo('better-auth-extend', peer.env(0), { entry: PEER_ENTRY }),
      ]);
      started.push(...results.filter((r) => r.status === 'fulfilled').map((r) => r.value));
      const failed = results.find((r) => r.status === 'rejected');
      if (failed) throw failed.reason;
      const [demo, check, extend] = started;
      return await measure(ctx, settings, log, { demo, check, extend, peer });
    } finally {
      await Promise.all(started.map((p) => p.stop()));
    }
  },
};

/** A database with better-auth's tables; returns the servers' environment for an updateAge. */
async function preparePeer(ctx) {
  const databaseUrl = await ctx.database('better_auth');
  const env = (updateAge) => ({
    PORT: '0',
    DATABASE_URL: databaseUrl,
    REDIS_URL,
    REDIS_KEY_PREFIX: `${ctx.redisPrefix}better-auth:`,
    BETTER_AUTH_SECRET: ctx.jwtSecret,
    UPDATE_AGE: String(updateAge),
    BCRYPT_ROUNDS: '4',
  });
  await execFileAsync(process.execPath, [PEER_ENTRY, '--migrate'], {
    cwd: REPO_ROOT,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env(DEFAULT_UPDATE_AGE) },
    timeout: 60_000,
  });
  return { env, databaseUrl };
}

async function measure(ctx, settings, log, { demo, check, extend, peer }) {
  const problems = [];
  const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
  redis.on('error', () => undefined);
  try {
    // Ours: the guard's tokens as in the guard scenario, refresh tokens from real logins as in
    // the refresh scenario.
    const perUser = Math.max(1, Math.round(settings.guardSessions / CHECK_USERS));
    const guardUsers = await seedUsers(ctx, CHECK_USERS, 'peer-guard');
    const tokens = (
      await seedSessions(
        ctx,
        guardUsers.map((u) => u.id),
        perUser,
      )
    ).map((s) => s.token);
    const refreshUsers = await seedUsers(
      ctx,
      Math.ceil(settings.refreshSessions / EXTEND_SESSIONS_PER_USER),
      'peer-refresh',
    );
    const rotations = await loginSessions(demo.baseUrl, refreshUsers, EXTEND_SESSIONS_PER_USER);

    // Theirs: the same numbers of users and sessions, through better-auth's own HTTP API.
    const t0 = Date.now();
    const checkCookies = await peerSessions(check.baseUrl, 'check', CHECK_USERS, perUser);
    const extendCookies = await peerSessions(
      check.baseUrl,
      'extend',
      Math.ceil(settings.refreshSessions / EXTEND_SESSIONS_PER_USER),
      EXTEND_SESSIONS_PER_USER,
    );
    log(
      `better-auth: ${checkCookies.length + extendCookies.length} sessions by sign-up / sign-in in ${Date.now() - t0} ms`,
    );

    const readExpiry = (cookie) => storedExpiry(redis, ctx, cookie);
    const verification = await verifyPeer(
      peer,
      { check, extend, checkCookies, extendCookies },
      readExpiry,
    );
    problems.push(...verification.problems);
    await expectStatus(200, demo.baseUrl, 'GET', '/bench/session-guard', { token: tokens[0] });

    const sample = extendCookies.filter((_, i) => i % Math.ceil(extendCookies.length / 20) === 0);
    const before = await Promise.all(sample.map(readExpiry));
    const common = { connections: settings.connections };
    const runs = await runInterleaved(
      {
        ourGuard: {
          ...common,
          url: demo.baseUrl,
          path: '/bench/session-guard',
          mode: 'bearer-pool',
          tokens,
        },
        theirCheck: {
          ...common,
          url: check.baseUrl,
          path: GET_SESSION,
          mode: 'cookie-pool',
          tokens: checkCookies,
        },
        ourRotation: {
          ...common,
          url: demo.baseUrl,
          path: '/auth/refresh',
          mode: 'refresh-queue',
          tokens: rotations.map((s) => s.refreshToken),
        },
        theirExtension: {
          ...common,
          url: extend.baseUrl,
          path: GET_SESSION,
          mode: 'cookie-pool',
          tokens: extendCookies,
          expectSetCookie: true,
        },
      },
      { rounds: settings.rounds, duration: settings.duration, warmup: settings.warmup },
    );
    const after = await Promise.all(sample.map(readExpiry));
    const extended = after.filter((e, i) => e > before[i]).length;
    if (extended < sample.length) {
      problems.push(
        `only ${extended} of ${sample.length} sampled better-auth sessions had a later expiry after the extension load`,
      );
    }
    const { ourGuard, theirCheck, ourRotation, theirExtension } = runs;
    for (const [name, r] of Object.entries({ ourGuard, theirCheck, ourRotation, theirExtension })) {
      const codes = Object.keys(r.errorCodes).length > 0;
      if (r.non2xx || r.errors || r.timeouts || r.starved || codes) {
        problems.push(
          `${name}: ${r.non2xx} non-2xx, ${r.errors} errors, ${r.timeouts} timeouts, ${r.starved ?? 0} requests without a free token ` +
            `(${JSON.stringify(r.errorCodes)})`,
        );
      }
    }
    const [state] = await ctx.query(
      `SELECT coalesce(sum(refresh_generation), 0)::int AS rotations,
              (SELECT count(*)::int FROM sessions WHERE revoked_at IS NOT NULL) AS revoked
       FROM sessions`,
    );
    if (state.revoked > 0)
      problems.push(`${state.revoked} of our sessions were revoked during the loads`);

    const latencyRow = (label, r) =>
      row(`${label}: latency p50 / p99`, `${r.latency.p50} / ${r.latency.p99}`, 'ms');
    const ratioRow = (label, ours, theirs) => {
      const value = ratio(ours.rpsMedian, theirs.rpsMedian);
      return row(label, value, 'x', `>= ${TARGET}x`, atLeast(value, TARGET));
    };
    return {
      number: '8',
      title: 'Against better-auth (Redis secondary storage): session check and session extension',
      description:
        `better-auth ${verification.version} as two separate Node processes (bench/peer/better-auth-server.mjs: betterAuth + ` +
        `toNodeHandler on node:http, nothing in front; email and password on, PostgreSQL through a pg Pool, sessions in Redis ` +
        `through @better-auth/redis-storage on ioredis; default storeSessionInDatabase (off), so sessions live in Redis only; ` +
        `cookie cache off, rate limit off, telemetry off), one with the default session.updateAge (${DEFAULT_UPDATE_AGE} s) and one ` +
        `with updateAge 0, so every get-session extends the expiry. A check verifies the signed cookie and reads the session and ` +
        `the user's revocation marker from Redis; an extension then reads and writes the session and the user's session list ` +
        `again (six Redis commands in all) and answers with a re-signed Set-Cookie. One demo instance (Nest on Express: request id, helmet, ` +
        `JSON body parser, validation, the throttler guard, which counts in Redis on /auth/refresh only; logs at warn). ` +
        `${settings.connections} connections, ${settings.duration} s per route in ${settings.rounds} interleaved rounds ` +
        `(${settings.warmup} s of warm-up before each route's first round), autocannon in a separate process. ` +
        `Check: GET ${GET_SESSION} with one of ${checkCookies.length} session cookies (${CHECK_USERS} users, signed up and signed in ` +
        `through better-auth's API) vs GET /bench/session-guard with one of ${tokens.length} access tokens (as in scenario 1). ` +
        `Extension vs rotation: get-session on the updateAge-0 server with one of ${extendCookies.length} cookies, round robin, vs ` +
        `POST /auth/refresh with a different live refresh token every request (${rotations.length} sessions, as in scenario 2). ` +
        `Ratios use the median req/s.`,
      rows: [
        row('SessionAuthGuard: req/s (median)', ourGuard.rpsMedian, 'req/s'),
        latencyRow('SessionAuthGuard', ourGuard),
        row('better-auth get-session (Redis): req/s (median)', theirCheck.rpsMedian, 'req/s'),
        latencyRow('better-auth get-session', theirCheck),
        ratioRow('SessionAuthGuard / better-auth check', ourGuard, theirCheck),
        row('our rotation (POST /auth/refresh): /s (median)', ourRotation.rpsMedian, '/s'),
        latencyRow('our rotation', ourRotation),
        row('better-auth extension (updateAge 0): /s (median)', theirExtension.rpsMedian, '/s'),
        latencyRow('better-auth extension', theirExtension),
        ratioRow('our rotation / better-auth extension', ourRotation, theirExtension),
      ],
      problems,
      notes: [
        ...verification.notes,
        `After the loads: ${extended} of ${sample.length} sampled better-auth sessions had a later expiry in Redis; ` +
          `${state.rotations} rotations of ours recorded (generations).`,
        'Not like for like: better-auth serves bare node:http with no middleware, the demo runs a whole Nest app; ' +
          "our rotation writes PostgreSQL (one UPDATE, a commit) where better-auth's extension writes Redis only; " +
          "better-auth's check and extension are the same route, differing in updateAge alone.",
      ],
      raw: { runs: stripTokens(runs), verification, rotations: state.rotations },
    };
  } finally {
    redis.disconnect();
  }
}
