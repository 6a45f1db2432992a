import { login, me, type SignedIn } from '../support/auth.js';
import type { DemoProcess } from '../support/demo-process.js';
import { expectStatus } from '../support/expect-http.js';
import { ApiClient } from '../support/http-client.js';

/** What one termination on A looked like from B. */
export interface TrialResult {
  /** How long DELETE /auth/sessions/:id took on A (ms). */
  deleteMs: number;
  /** Status of the first request sent to B after A's 204 (must be 401). */
  nextOnB: number;
  /** Requests sent to B after A's 204 and still accepted (must be 0). */
  acceptedAfter204: number;
}

/**
 * Signs a new device of `owner` in through B and lets B hold it as live (victimLiveOnB), then
 * terminates it through A while a poller keeps asking B with its token. Every request sent to B
 * after A answered 204 must be refused, the very next one included.
 */
export async function terminateOnAAskB(
  a: DemoProcess,
  b: DemoProcess,
  owner: SignedIn,
): Promise<TrialResult> {
  const { victim, onB } = await victimLiveOnB(b, owner);

  const polls: { sentAt: number; status: number }[] = [];
  // When A answered; polls read it while they run.
  const answer: { at?: number } = {};
  let stop = false;
  const poller = (async () => {
    while (!stop) {
      const sentAt = performance.now();
      const { status } = await me(onB, victim.accessToken);
      polls.push({ sentAt, status });
      // One refusal of a request sent after the 204 ends it.
      if (answer.at !== undefined && sentAt > answer.at && status !== 200) stop = true;
    }
  })();

  const started = performance.now();
  const deleted = await new ApiClient(a.baseUrl).delete(`/auth/sessions/${victim.session.id}`, {
    token: owner.accessToken,
  });
  const answeredAt = performance.now();
  answer.at = answeredAt;
  const next = await me(onB, victim.accessToken);
  polls.push({ sentAt: answeredAt, status: next.status });
  expectStatus(deleted, 204);
  // Bounded: a poller that never sees a refusal would fail the test, not hang it.
  const deadline = setTimeout(() => (stop = true), 3000);
  await poller;
  clearTimeout(deadline);

  return {
    deleteMs: answeredAt - started,
    nextOnB: next.status,
    acceptedAfter204: polls.filter((p) => p.sentAt >= answeredAt && p.status === 200).length,
  };
}

/**
 * A new device of `owner` signed in through B, which holds it as live in process (two accepted
 * requests), and a client of B to ask with its token.
 */
export async function victimLiveOnB(b: DemoProcess, owner: SignedIn) {
  const victim = await login(b.baseUrl, owner.email, owner.password, { deviceName: 'victim' });
  const onB = new ApiClient(b.baseUrl);
  expectStatus(await me(onB, victim.accessToken), 200);
  expectStatus(await me(onB, victim.accessToken), 200);
  return { victim, onB };
}

/**
 * Keeps `demo` busy with `loops` back-to-back guarded requests until the returned function is
 * called: an instance whose event loop lags is where a revocation used to arrive late.
 */
export function keepBusy(demo: DemoProcess, token: string, loops = 4): () => Promise<void> {
  let stopped = false;
  const client = new ApiClient(demo.baseUrl);
  const running = Array.from({ length: loops }, async () => {
    while (!stopped) await me(client, token);
  });
  return async () => {
    stopped = true;
    await Promise.all(running);
  };
}

/** The value of `session_auth_revocation_unconfirmed_total` for `transport` on `demo` (0 if absent). */
export async function unconfirmedCount(demo: DemoProcess, transport: string): Promise<number> {
  const answer = await new ApiClient(demo.baseUrl).get('/metrics');
  const text = typeof answer.body === 'string' ? answer.body : '';
  const line = text
    .split('\n')
    .find((l) =>
      l.startsWith(`session_auth_revocation_unconfirmed_total{transport="${transport}"}`),
    );
  return line ? Number(line.split(' ').pop()) : 0;
}
