// Scenario 2b (issues 20 and 22): POST /auth/refresh for sessions bound to a device key (DPoP,
// ES256) side by side with unbound sessions on the same instance, and the server's proof check
// measured in-process.
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { DeviceKey } from '../../test/support/device-key.mjs';
import { REPO_ROOT, startDemo } from '../lib/demo.mjs';
import { expectStatus, mapLimit, PASSWORD } from '../lib/http.mjs';
import { runInterleaved } from '../lib/load.mjs';
import { queueLoadProblems, row } from '../lib/report.mjs';
import { seedUsers } from '../lib/seed.mjs';
import { loginSessions } from '../lib/sessions.mjs';
import { ratio, round } from '../lib/stats.mjs';

/** Logins per user and kind: few, because every login broadcasts the user's whole session list. */
const SESSIONS_PER_USER = 5;
/** Proofs the in-process micro-benchmark verifies (after as many unmeasured ones). */
const VERIFY_PROOFS = 2000;
const BINDING_DIST = path.join(REPO_ROOT, 'libs/session-auth/dist/binding');

export default {
  id: 'refresh-bound',
  aliases: ['2b'],
  order: 2.5,
  async run({ ctx, settings, log }) {
    const proofCheck = await measureProofCheck();
    log(`proof check in-process: ${proofCheck.microsPerVerify} µs per verify`);
    const demo = await startDemo('refresh-bound', { ...ctx.env(), DEVICE_BINDING: 'optional' });
    try {
      return await measure(ctx, settings, log, demo, proofCheck);
    } finally {
      await demo.stop();
    }
  },
};

/** Signs in every user `perUser` times with a DPoP proof of a key of its own (a bound session). */
async function loginBoundSessions(baseUrl, users, perUser, concurrency = 8) {
  const jobs = [];
  for (let i = 0; i < perUser; i++) for (const user of users) jobs.push(user);
  const htu = `${baseUrl}/auth/login`;
  return mapLimit(jobs, concurrency, async (user) => {
    const key = new DeviceKey();
    const res = await expectStatus(200, baseUrl, 'POST', '/auth/login', {
      body: { email: user.email, password: PASSWORD, deviceName: 'bench-bound' },
      headers: { dpop: key.proof('POST', htu) },
    });
    if (typeof res.body.refreshToken !== 'string' || !res.headers['dpop-nonce']) {
      throw new Error('a bound login answered without a refreshToken in its body or a DPoP-Nonce');
    }
    return {
      refreshToken: res.body.refreshToken,
      nonce: res.headers['dpop-nonce'],
      // The load worker signs the refresh proofs with it (a KeyObject cannot cross IPC).
      privateJwk: key.privateKey.export({ format: 'jwk' }),
    };
  });
}

async function measure(ctx, settings, log, demo, proofCheck) {
  const problems = [];
  const perKind = Math.max(1, Math.floor(settings.refreshSessions / 2));
  const users = await seedUsers(ctx, Math.ceil(perKind / SESSIONS_PER_USER), 'refresh-bound');
  const t0 = Date.now();
  const unboundSessions = await loginSessions(demo.baseUrl, users, SESSIONS_PER_USER);
  const boundSessions = await loginBoundSessions(demo.baseUrl, users, SESSIONS_PER_USER);
  log(
    `${unboundSessions.length} unbound and ${boundSessions.length} bound sessions created by login in ${Date.now() - t0} ms`,
  );
  const [bindings] = await ctx.query(
    `SELECT count(*)::int AS bound FROM sessions WHERE key_thumbprint IS NOT NULL`,
  );
  if (bindings.bound !== boundSessions.length) {
    problems.push(`${bindings.bound} sessions bound, ${boundSessions.length} expected`);
  }

  const common = { url: demo.baseUrl, path: '/auth/refresh', connections: settings.connections };
  const { unbound, bound } = await runInterleaved(
    {
      unbound: {
        ...common,
        mode: 'refresh-queue',
        tokens: unboundSessions.map((s) => s.refreshToken),
      },
      bound: {
        ...common,
        mode: 'refresh-bound-queue',
        keys: boundSessions.map((s) => s.privateJwk),
        tokens: boundSessions.map((s, i) => [s.refreshToken, i]),
        nonce: boundSessions[boundSessions.length - 1].nonce,
      },
    },
    { rounds: settings.rounds, duration: settings.duration, warmup: settings.warmup },
  );

  problems.push(...queueLoadProblems({ unbound, bound }));
  const [state] = await ctx.query(
    `SELECT
       (SELECT count(*)::int FROM sessions WHERE revoked_at IS NOT NULL) AS revoked,
       (SELECT coalesce(sum(refresh_generation), 0)::int FROM sessions
         WHERE key_thumbprint IS NOT NULL) AS "boundRotations",
       (SELECT coalesce(sum(refresh_generation), 0)::int FROM sessions
         WHERE key_thumbprint IS NULL) AS "unboundRotations"`,
  );
  if (state.revoked > 0) {
    problems.push(`${state.revoked} sessions were revoked during a load that never reused a token`);
  }

  const perRequest = (r, key) => (r.responses ? round(r[key] / r.responses, 0) : undefined);
  const generator = {
    unboundCpuMicrosPerRequest: perRequest(unbound, 'workerCpuMicros'),
    boundCpuMicrosPerRequest: perRequest(bound, 'workerCpuMicros'),
    signMicrosPerProof: bound.proofsSigned
      ? round(bound.proofSignMicros / bound.proofsSigned, 1)
      : undefined,
  };
  return {
    number: '2b',
    title: 'POST /auth/refresh with and without device binding (DPoP)',
    description:
      `One instance (DEVICE_BINDING=optional); ${unboundSessions.length} unbound sessions created through POST /auth/login and ` +
      `${boundSessions.length} bound ones created through POST /auth/login with a DPoP proof, each with an ES256 (P-256) key of ` +
      `its own (${users.length} users x ${SESSIONS_PER_USER} of each). autocannon (${settings.connections} connections, ` +
      `${settings.duration} s in ${settings.rounds} rounds, unbound and bound interleaved on the same instance, ${settings.warmup} s ` +
      `of warm-up before each one's first round) takes a different live refresh token from a queue for every request ` +
      `and puts the successor back, as in scenario 2. Every bound refresh carries a fresh proof (htm POST, htu the ` +
      `refresh URL, iat now, a random jti, the nonce of the last DPoP-Nonce answer header). The generator's cost: ` +
      `proofs are signed in the load worker, per request, on the same 2 cores as the server; the worker's own ` +
      `CPU per request and its signing time per proof are reported. The proof check is also measured in-process: ` +
      `the library's built verifyDpopProof (dist/binding/dpop-proof.js, with the server-nonce check of ` +
      `proof-nonce.js) over ${VERIFY_PROOFS} valid proofs (50 keys), after as many unmeasured ones; it ` +
      `excludes the jti replay check (one Redis SET NX) that the server adds.`,
    rows: [
      row('unbound: rotations/s (median)', unbound.rpsMedian, '/s'),
      row('bound: rotations/s (median)', bound.rpsMedian, '/s'),
      row('bound / unbound', ratio(bound.rpsMedian, unbound.rpsMedian), 'x'),
      row('unbound: latency p50', unbound.latency.p50, 'ms'),
      row('unbound: latency p99', unbound.latency.p99, 'ms'),
      row('bound: latency p50', bound.latency.p50, 'ms'),
      row('bound: latency p99', bound.latency.p99, 'ms'),
      row('proof check (in-process verify)', proofCheck.microsPerVerify, 'µs'),
      row('generator: signing one proof', generator.signMicrosPerProof, 'µs'),
      row('generator CPU per request: unbound', generator.unboundCpuMicrosPerRequest, 'µs'),
      row('generator CPU per request: bound', generator.boundCpuMicrosPerRequest, 'µs'),
      row('non-2xx responses (both)', unbound.non2xx + bound.non2xx),
    ],
    problems,
    notes: [
      `After the run: ${state.unboundRotations} unbound and ${state.boundRotations} bound rotations recorded (generations), ` +
        `${state.revoked} revoked sessions.`,
    ],
    raw: {
      sessions: { unbound: unboundSessions.length, bound: boundSessions.length },
      unbound: { ...unbound, tokens: undefined },
      bound: { ...bound, tokens: undefined },
      proofCheck,
      generator,
      databaseState: state,
    },
  };
}

/**
 * µs per call of the library's own stateless proof check (signature, htm/htu, iat, jti and the
 * server nonce's HMAC) on valid proofs of 50 keys, in this process.
 */
async function measureProofCheck() {
  const { verifyDpopProof } = await import(
    pathToFileURL(path.join(BINDING_DIST, 'dpop-proof.js')).href
  );
  const { ProofNonces } = await import(
    pathToFileURL(path.join(BINDING_DIST, 'proof-nonce.js')).href
  );
  const nonces = new ProofNonces([randomBytes(32)], 300);
  const nonce = nonces.issue();
  const htu = 'http://127.0.0.1:3000/auth/refresh';
  const target = {
    method: 'POST',
    path: '/auth/refresh',
    host: '127.0.0.1:3000',
    protocol: 'http',
  };
  const keys = Array.from({ length: 50 }, () => new DeviceKey());
  const proofs = Array.from({ length: 2 * VERIFY_PROOFS }, (_, i) =>
    keys[i % keys.length].proof('POST', htu, { nonce }),
  );
  const verifyAll = (list) => {
    for (const proof of list) {
      const result = verifyDpopProof(proof, target, {
        nowMs: Date.now(),
        maxAgeSeconds: 60,
        nonceIsFresh: (n) => nonces.isFresh(n),
      });
      if ('kind' in result) throw new Error(`a valid proof was refused: ${result.detail}`);
    }
  };
  verifyAll(proofs.slice(0, VERIFY_PROOFS)); // warm-up (JIT, key import paths)
  const t0 = performance.now();
  verifyAll(proofs.slice(VERIFY_PROOFS));
  const ms = performance.now() - t0;
  return {
    proofs: VERIFY_PROOFS,
    keys: keys.length,
    microsPerVerify: round((ms * 1000) / VERIFY_PROOFS, 1),
  };
}
