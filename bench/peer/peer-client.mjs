// The better-auth side of the peer scenario: sessions through its HTTP API, the session cookie,
// the expiry it stored in Redis, and the checks that it is set up as the scenario says.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { REPO_ROOT } from '../lib/demo.mjs';
import { expectStatus, mapLimit, PASSWORD, request } from '../lib/http.mjs';

export const SESSION_COOKIE = 'better-auth.session_token';
export const GET_SESSION = '/api/auth/get-session';

/**
 * `users` users signed up through better-auth's API, each then signed in until it has `perUser`
 * sessions (at most 8 requests in flight). Returns the session cookies (`name=value`).
 */
export async function peerSessions(baseUrl, label, users, perUser) {
  const emails = Array.from({ length: users }, (_, i) => `peer-${label}-${i}@bench.example`);
  const cookies = await mapLimit(emails, 8, (email) =>
    peerCookie(baseUrl, '/api/auth/sign-up/email', { email, password: PASSWORD, name: 'Bench' }),
  );
  const jobs = [];
  for (let i = 1; i < perUser; i++) jobs.push(...emails);
  const more = await mapLimit(jobs, 8, (email) =>
    peerCookie(baseUrl, '/api/auth/sign-in/email', { email, password: PASSWORD }),
  );
  return [...cookies, ...more];
}

export async function peerCookie(baseUrl, route, body) {
  const res = await expectStatus(200, baseUrl, 'POST', route, { body });
  const cookie = [res.headers['set-cookie'] ?? []]
    .flat()
    .find((c) => c.startsWith(`${SESSION_COOKIE}=`));
  if (!cookie) throw new Error(`${route} answered 200 without a ${SESSION_COOKIE} cookie`);
  return cookie.split(';')[0];
}

/** The session's expiry as better-auth stored it in Redis (ms), or undefined when missing. */
export async function storedExpiry(redis, ctx, cookie) {
  const token = decodeURIComponent(cookie.slice(SESSION_COOKIE.length + 1)).split('.')[0];
  const stored = await redis.get(`${ctx.redisPrefix}better-auth:${token}`);
  return stored ? Date.parse(JSON.parse(stored).session.expiresAt) : undefined;
}

/**
 * Before anything is timed: the check answers a session and leaves its expiry alone, the
 * extension moves it forward, and there is no session table in PostgreSQL (so the checks can
 * only be served from Redis).
 */
export async function verifyPeer(peer, { check, extend, checkCookies, extendCookies }, readExpiry) {
  const problems = [];
  const notes = [];
  const { version } = JSON.parse(
    readFileSync(path.join(REPO_ROOT, 'node_modules/better-auth/package.json'), 'utf8'),
  );
  const client = new pg.Client({ connectionString: peer.databaseUrl });
  await client.connect();
  try {
    const { rows } = await client.query(
      `SELECT to_regclass('public.session') IS NOT NULL AS "sessionTable",
              (SELECT count(*)::int FROM "user") AS users`,
    );
    if (rows[0].sessionTable) problems.push('better-auth has a session table in PostgreSQL');
    notes.push(
      `better-auth's database holds ${rows[0].users} users and ${rows[0].sessionTable ? 'a' : 'no'} session table: its sessions are in Redis only.`,
    );
  } finally {
    await client.end();
  }

  const get = (server, cookie) =>
    request(server.baseUrl, 'GET', GET_SESSION, { headers: { cookie } });
  const checked = checkCookies[0];
  const beforeCheck = await readExpiry(checked);
  await sleep(1100);
  const checkRes = await get(check, checked);
  const afterCheck = await readExpiry(checked);
  if (checkRes.status !== 200 || !checkRes.body?.session) {
    problems.push(`better-auth get-session did not answer a session: ${checkRes.status}`);
  }
  if (afterCheck !== beforeCheck) {
    problems.push('a better-auth session check with the default updateAge changed the expiry');
  }
  if (checkRes.headers['set-cookie']?.some((c) => c.startsWith('better-auth.session_data'))) {
    problems.push('better-auth set a session_data cookie: the cookie cache is on');
  }

  const extended = extendCookies[0];
  const beforeExtend = await readExpiry(extended);
  const extendRes = await get(extend, extended);
  const afterExtend = await readExpiry(extended);
  if (extendRes.status !== 200 || !extendRes.body?.session) {
    problems.push(
      `better-auth get-session (updateAge 0) did not answer a session: ${extendRes.status}`,
    );
  }
  if (!(afterExtend > beforeExtend)) {
    problems.push('a better-auth session check with updateAge 0 did not move the expiry forward');
  }
  if (!extendRes.headers['set-cookie']?.some((c) => c.startsWith(`${SESSION_COOKIE}=`))) {
    problems.push('a better-auth session check with updateAge 0 set no new session cookie');
  }
  const iso = (ms) => (ms === undefined ? 'missing' : new Date(ms).toISOString());
  notes.push(
    `Checked before timing: with the default updateAge a get-session left the stored expiry as it was ` +
      `(${iso(beforeCheck)}); with updateAge 0 one moved it from ${iso(beforeExtend)} to ${iso(afterExtend)} ` +
      `in Redis and answered with a new session cookie.`,
  );
  return { problems, notes, version };
}

export function stripTokens(runs) {
  return Object.fromEntries(
    Object.entries(runs)
      .filter(([name]) => name !== 'side')
      .map(([name, r]) => [name, { ...r, tokens: undefined }]),
  );
}
