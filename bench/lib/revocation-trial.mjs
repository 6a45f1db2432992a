// One revocation trial of the guard scenario: a session terminated through instance A, polled on B
// until refused, counting what B accepted after A's 204.
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { request } from './http.mjs';

/** How long B may keep accepting a terminated session before the trial counts it as not refused. */
export const REFUSAL_TIMEOUT_MS = 2000;
export const POLLERS = 4;

/**
 * Terminates `target` through A (authenticated as `admin`, another session of the same user) and
 * polls B with the target's token until B refuses it. Times are from performance.now(); `hops`
 * (a RevocationHops) splits the DELETE's time by the messages it sent.
 */
export async function revocationTrial(a, b, admin, target, loadEndsAt, path, hops) {
  const trial = { underLoad: Date.now() < loadEndsAt };
  const warm = await request(b.baseUrl, 'GET', path, { token: target.token });
  if (warm.status !== 200) {
    return {
      ...trial,
      problem: `a live session was refused on B before its DELETE: ${warm.status}`,
    };
  }
  const started = performance.now();
  const deletion = request(a.baseUrl, 'DELETE', `/auth/sessions/${target.sessionId}`, {
    token: admin.token,
  }).then((res) => {
    trial.deleteStatus = res.status;
    trial.deleteMs = res.receivedAt - started;
    return res;
  });
  // Several staggered pollers: on a loaded B one response takes tens of ms, and a single poller
  // would add up to one whole response time to every measurement.
  const polls = [];
  let refusal;
  const poller = async (offsetMs) => {
    await sleep(offsetMs);
    while (!refusal && performance.now() - started < REFUSAL_TIMEOUT_MS) {
      const res = await request(b.baseUrl, 'GET', path, { token: target.token });
      polls.push({ sentAt: res.sentAt, status: res.status });
      if (res.status !== 200 && (!refusal || res.receivedAt < refusal.receivedAt)) refusal = res;
    }
  };
  await Promise.all(Array.from({ length: POLLERS }, (_, i) => poller(i * 2)));
  const deleted = await deletion;
  trial.polls = polls.length;
  trial.hops = hops?.of(target.sessionId, started, deleted.receivedAt);
  // Accepted although sent after A had answered 204: B was still serving a revoked session.
  const stale = polls.filter((p) => p.status === 200 && p.sentAt > deleted.receivedAt);
  trial.acceptedAfterAck = stale.length;
  if (stale.length > 0) {
    trial.acceptedUpToMsAfterAck = Math.max(...stale.map((p) => p.sentAt - deleted.receivedAt));
  }
  if (deleted.status !== 204) {
    trial.problem = `DELETE /auth/sessions/:id on A answered ${deleted.status} ${JSON.stringify(deleted.body)}`;
  }
  if (!refusal) return trial;
  trial.refusal = `${refusal.status} ${refusal.body?.code ?? ''}`.trim();
  trial.refusedAfterSentMs = refusal.receivedAt - started;
  trial.refusedAfterAckMs = Math.max(0, refusal.receivedAt - deleted.receivedAt);
  // Once refused, always refused: a stale cache entry must never bring the session back.
  const again = await request(b.baseUrl, 'GET', path, { token: target.token });
  if (again.status === 200) {
    trial.problem = 'a terminated session was accepted again on B after it had been refused';
  }
  return trial;
}
