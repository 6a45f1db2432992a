// Scenarios 1 and 5: SessionAuthGuard against the unguarded route and a stock passport-jwt guard
// (same app, same run), the demo's unguarded route against a bare Nest app (the ceiling), and, during the guarded run, how fast a session terminated through
// instance A is refused on instance B.
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { REPO_ROOT, startDemo } from '../lib/demo.mjs';
import { expectStatus } from '../lib/http.mjs';
import { runInterleaved } from '../lib/load.mjs';
import { atLeast, atMost, row } from '../lib/report.mjs';
import { seedSessions, seedUsers } from '../lib/seed.mjs';
import { ratio, round, summarize } from '../lib/stats.mjs';
import { POLLERS, REFUSAL_TIMEOUT_MS, revocationTrial } from '../lib/revocation-trial.mjs';
import { RevocationHops } from '../lib/revocation-hops.mjs';

const ROUTES = {
  unguarded: '/bench/unguarded',
  sessionGuard: '/bench/session-guard',
  passportJwt: '/bench/passport-jwt',
};
/** One GET route on a bare Nest 12 app (platform-express): what the demo's middleware is measured against. */
const BARE_APP = path.join(REPO_ROOT, 'bench/lib/bare-nest-app.mjs');

export default {
  id: 'guard',
  aliases: ['1', '5', 'revocation'],
  order: 1,
  async run({ ctx, settings }) {
    const [a, b, bare] = await Promise.all([
      startDemo('guard-A', ctx.env()),
      startDemo('guard-B', ctx.env()),
      startDemo('bare-nest', { LOG_LEVEL: 'warn' }, { entry: BARE_APP }),
    ]);
    try {
      return await measure(ctx, settings, a, b, bare);
    } finally {
      await Promise.all([a.stop(), b.stop(), bare.stop()]);
    }
  },
};

async function measure(ctx, settings, a, b, bare) {
  const problems = [];
  const revocationProblems = [];
  const usersCount = 10;
  const perUser = Math.max(1, Math.round(settings.guardSessions / usersCount));
  const users = await seedUsers(ctx, usersCount, 'guard');
  const pool = await seedSessions(
    ctx,
    users.map((u) => u.id),
    perUser,
  );
  const tokens = pool.map((s) => s.token);
  const [revoker] = await seedUsers(ctx, 1, 'revoker');
  const [admin, ...targets] = await seedSessions(ctx, [revoker.id], settings.revocationTrials + 1);

  // Every route answers 200 to a seeded token before anything is timed.
  for (const path of Object.values(ROUTES)) {
    await expectStatus(200, b.baseUrl, 'GET', path, { token: tokens[0] });
  }

  await expectStatus(200, bare.baseUrl, 'GET', ROUTES.unguarded);
  const load = (path, url = b.baseUrl) => ({
    url,
    path,
    mode: 'bearer-pool',
    tokens,
    connections: settings.connections,
  });
  // The revocation trials run beside a guarded load of their own (a fifth run per round), half in
  // each round by default: beside the measured SessionAuthGuard run, their polling of B took a
  // share of B's CPU that the unguarded run never paid, and skewed guard / unguarded.
  const trials = [];
  const hops = await RevocationHops.start(ctx);
  const perRound = Math.ceil(targets.length / settings.rounds);
  const revocationBesideGuard = async (round, run) => {
    // Start once the load is past its warm-up (and the worker's start-up).
    await sleep((run.warmup + 1) * 1000);
    const loadEndsAt = Date.now() + Math.max(0, run.duration - 1.5) * 1000;
    for (const target of targets.slice(round * perRound, (round + 1) * perRound)) {
      trials.push(
        await revocationTrial(a, b, admin, target, loadEndsAt, ROUTES.sessionGuard, hops),
      );
      await sleep(20);
    }
  };
  const runs = await runInterleaved(
    {
      bareNest: load(ROUTES.unguarded, bare.baseUrl),
      unguarded: load(ROUTES.unguarded),
      sessionGuard: load(ROUTES.sessionGuard),
      passportJwt: load(ROUTES.passportJwt),
      guardUnderTrials: load(ROUTES.sessionGuard),
    },
    {
      rounds: settings.rounds,
      duration: settings.duration,
      warmup: settings.warmup,
      during: { guardUnderTrials: revocationBesideGuard },
    },
  ).finally(() => hops.stop());
  const { bareNest, unguarded, sessionGuard, passportJwt, guardUnderTrials } = runs;

  for (const [name, result] of Object.entries(runs)) {
    if (result.non2xx || result.errors || result.timeouts) {
      problems.push(
        `${name}: ${result.non2xx} non-2xx, ${result.errors} errors, ${result.timeouts} timeouts ` +
          `(${JSON.stringify(result.errorCodes)})`,
      );
    }
  }

  const refused = trials.filter((t) => t.refusedAfterSentMs !== undefined);
  const underLoad = trials.filter((t) => t.underLoad).length;
  for (const t of trials) {
    if (t.problem) revocationProblems.push(t.problem);
  }
  if (refused.length < trials.length) {
    revocationProblems.push(
      `${trials.length - refused.length} of ${trials.length} terminated sessions were still accepted on B after ${REFUSAL_TIMEOUT_MS} ms`,
    );
  }
  const staleTrials = trials.filter((t) => t.acceptedAfterAck > 0);
  const staleAccepts = staleTrials.reduce((sum, t) => sum + t.acceptedAfterAck, 0);
  const codes = {};
  for (const t of refused) codes[t.refusal] = (codes[t.refusal] ?? 0) + 1;
  const afterSent = summarize(refused.map((t) => t.refusedAfterSentMs));
  const afterAck = summarize(refused.map((t) => t.refusedAfterAckMs));
  const hopStats = hopSummaries(trials);
  const deleteMs = summarize(trials.filter((t) => t.deleteMs !== undefined).map((t) => t.deleteMs));
  // A trial that never saw a refusal counts as the timeout, so p99 cannot hide it.
  const afterSentWithMisses = summarize(
    trials.map((t) => t.refusedAfterSentMs ?? Number.POSITIVE_INFINITY),
  );

  const rps = (r) => r.rpsMedian;
  const guardVsUnguarded = ratio(rps(sessionGuard), rps(unguarded));
  const guardVsPassport = ratio(rps(sessionGuard), rps(passportJwt));
  const demoVsBare = ratio(rps(unguarded), rps(bareNest));
  const routeRows = (label, r) => [
    row(`${label}: req/s (median of 1 s samples)`, r.rpsMedian, 'req/s'),
    row(`${label}: latency p50 / p99`, `${r.latency.p50} / ${r.latency.p99}`, 'ms'),
  ];

  const guardResult = {
    number: '1',
    title:
      'Guarded GET: SessionAuthGuard vs unguarded vs stock passport-jwt; the demo vs a bare Nest app',
    description:
      `Instance B of two demo instances; GET ${ROUTES.unguarded}, ${ROUTES.sessionGuard} (SessionAuthGuard) and ` +
      `${ROUTES.passportJwt} (stock @nestjs/passport + passport-jwt, string secret), and the same GET ${ROUTES.unguarded} on a bare Nest 12 app ` +
      `(one controller, platform-express, default options: the ceiling for the demo's own middleware), ${settings.connections} connections, ` +
      `${settings.duration} s each in ${settings.rounds} interleaved rounds (B U G P R B U G P R ...; ${settings.warmup} s of warm-up before each route's first round; R is the SessionAuthGuard ` +
      `load again, beside which scenario 5's revocation trials run, so they take nothing from G), ` +
      `autocannon in a separate process. Every request carries one of ${tokens.length} access tokens ` +
      `(${usersCount} users x ${perUser} sessions inserted into the database, tokens signed with the run's secret), ` +
      `taken round robin, so the guard checks many distinct sessions. Ratios use the median req/s.`,
    rows: [
      ...routeRows('bare Nest app (ceiling)', bareNest),
      ...routeRows('unguarded', unguarded),
      ...routeRows('SessionAuthGuard', sessionGuard),
      ...routeRows('passport-jwt', passportJwt),
      row(
        'SessionAuthGuard during the revocation trials: req/s (median)',
        rps(guardUnderTrials),
        'req/s',
      ),
      row('demo unguarded / bare Nest app', demoVsBare, 'x', '>= 0.8x', atLeast(demoVsBare, 0.8)),
      row(
        'SessionAuthGuard / unguarded',
        guardVsUnguarded,
        'x',
        '>= 0.95x',
        atLeast(guardVsUnguarded, 0.95),
      ),
      row(
        'SessionAuthGuard / passport-jwt',
        guardVsPassport,
        'x',
        '>= 3x',
        atLeast(guardVsPassport, 3),
      ),
    ],
    problems,
    notes: [],
    raw: {
      routes: ROUTES,
      sessions: tokens.length,
      runs: stripLatencies(runs),
    },
  };

  const revocationResult = {
    number: '5',
    title: 'Revocation propagation: terminated through A, refused on B',
    description:
      `${trials.length} trials during the SessionAuthGuard load R of scenario 1 (${underLoad} of them while B was still under that load). ` +
      `Each trial: one accepted request on B with the target session's token (so B has seen it live), then ` +
      `DELETE /auth/sessions/:id on A and, from the same moment, ${POLLERS} staggered back-to-back pollers of GET ${ROUTES.sessionGuard} on B ` +
      `with that token until one is refused. The target is judged on the time from sending the DELETE to ` +
      `receiving B's first refusal, which includes the DELETE itself and one response time of the loaded B ` +
      `(B's own p50/p99 under that load are in scenario 1). A request sent to B after A's 204 and still accepted ` +
      `would show a propagation gap directly; it is counted separately. The DELETE is split into hops by ` +
      `this process, which LISTENs on the revocation channel of PostgreSQL (the NOTIFY of A's commit) and ` +
      `subscribes to the revocation channels of Redis (A's announcement, B's ack), stamping each message as it ` +
      `arrives; every hop is on the same 2 cores as B's load, so it includes waiting for one.`,
    rows: [
      row('refused on B, from DELETE sent: p50', afterSent.p50, 'ms'),
      row(
        'refused on B, from DELETE sent: p99',
        afterSentWithMisses.p99 === Number.POSITIVE_INFINITY
          ? `> ${REFUSAL_TIMEOUT_MS}`
          : afterSentWithMisses.p99,
        'ms',
        '<= 50 ms',
        afterSentWithMisses.p99 === Number.POSITIVE_INFINITY ? false : atMost(afterSent.p99, 50),
      ),
      row(
        'refused on B, after A answered 204: p50 / p99',
        `${afterAck.p50} / ${afterAck.p99}`,
        'ms',
      ),
      row('DELETE on A: p50 / p99', `${deleteMs.p50} / ${deleteMs.p99}`, 'ms'),
      ...hopRows(hopStats),
      row(
        'requests sent to B after the 204 and still accepted',
        `${staleAccepts} (in ${staleTrials.length} trials${staleTrials.length ? `, up to ${round(Math.max(...staleTrials.map((t) => t.acceptedUpToMsAfterAck)))} ms after it` : ''})`,
      ),
      row('trials refused / run', `${refused.length} / ${trials.length}`),
    ],
    problems: revocationProblems,
    notes: [
      `Refusals seen on B: ${JSON.stringify(codes)}.`,
      ...(staleAccepts > 0
        ? [
            `${staleAccepts} requests sent to B after A had answered 204 were still accepted (in ${staleTrials.length} of ` +
              `${trials.length} trials): B kept serving the terminated session for a while after the revocation was acknowledged.`,
          ]
        : []),
    ],
    raw: { afterSent, afterAck, deleteMs, hops: hopStats, trials },
  };
  return [guardResult, revocationResult];
}

const HOPS = {
  toCommit: 'DELETE sent -> UPDATE committed (NOTIFY heard)',
  commitToAnnounce: 'committed -> announcement published (cache mark, presence)',
  announceToAck: "announcement -> B's ack (B's revocation thread)",
  ackToAnswer: 'ack -> 204 received (A hears it, answers)',
};

/** p50 / p99 / max of each hop, over all trials and split by whether B was under load. */
function hopSummaries(trials) {
  const of = (list, hop) =>
    summarize(list.map((t) => t.hops?.[hop]).filter((ms) => ms !== undefined));
  return Object.fromEntries(
    Object.keys(HOPS).map((hop) => [
      hop,
      {
        all: of(trials, hop),
        underLoad: of(
          trials.filter((t) => t.underLoad),
          hop,
        ),
        afterLoad: of(
          trials.filter((t) => !t.underLoad),
          hop,
        ),
      },
    ]),
  );
}

function hopRows(summaries) {
  const show = (s) => (s.count ? `${s.p50} / ${s.p99} / ${s.max}` : '-');
  return Object.entries(HOPS).map(([hop, label]) =>
    row(
      `${label}: p50 / p99 / max, B under load | after`,
      `${show(summaries[hop].underLoad)} | ${show(summaries[hop].afterLoad)}`,
      'ms',
    ),
  );
}

function stripLatencies(runs) {
  return Object.fromEntries(
    Object.entries(runs).map(([name, r]) => [name, { ...r, tokens: undefined }]),
  );
}
