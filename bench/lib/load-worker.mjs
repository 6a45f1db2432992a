// Child process: runs autocannon (programmatic API) against one route and reports back over IPC.
// It runs in its own process so the load generator never shares an event loop with the demo or
// with the runner's latency probes.
//
// Modes (functions cannot cross the IPC boundary, so the request logic lives here):
//   plain          the same request every time
//   bearer-pool    GET with `Authorization: Bearer <token>`, tokens taken round robin
//   cookie-pool    GET with `Cookie: <token>` (a whole cookie pair), taken round robin; a 2xx whose
//                  body is `null` (better-auth's answer for no session) is counted as NO_SESSION,
//                  and with `expectSetCookie` a 2xx without Set-Cookie as NO_SET_COOKIE
//   refresh-queue  POST /auth/refresh {refreshToken}: every request takes a different live token
//                  from a FIFO queue and puts the successor from the 200 response back at its end
//   refresh-bound-queue  like refresh-queue, for sessions bound to a device key: the queue holds
//                  `[refreshToken, keyIndex]` and every request carries a DPoP proof (ES256, signed
//                  here in the worker with `config.keys[keyIndex]`, a private JWK) naming the last
//                  `DPoP-Nonce` the server answered with (`config.nonce` to start)
//   login-pool     POST /auth/login, users taken round robin
//
// Every result also carries the worker's own CPU time (`workerCpuMicros`) and, for
// refresh-bound-queue, the time spent signing proofs (`proofSignMicros`, `proofsSigned`).
import autocannon from 'autocannon';
import { createPrivateKey, randomUUID, sign } from 'node:crypto';
import { URL } from 'node:url';
import { summarize } from './stats.mjs';

let current;
let stopRequested = false;

process.on('message', (message) => {
  if (message.type === 'start') {
    run(message.config).then(
      (result) => process.send({ type: 'result', result }, () => process.exit(0)),
      (error) => process.send({ type: 'error', message: error.stack }, () => process.exit(1)),
    );
  } else if (message.type === 'stop') {
    stopRequested = true;
    current?.stop();
  }
});

async function run(config) {
  const state = makeState(config);
  if (config.warmup > 0) {
    await cannon(config, state, config.warmup, false);
    state.resetCounters();
  }
  if (stopRequested) return { stoppedDuringWarmup: true };
  return cannon(config, state, config.duration, true);
}

function makeState(config) {
  const counters = () => ({ statuses: {}, errorCodes: {}, starved: 0 });
  const state = {
    ...counters(),
    queue: QUEUE_MODES.has(config.mode) ? new TokenQueue(config.tokens) : undefined,
    signers: config.mode === 'refresh-bound-queue' ? config.keys.map(proofSigner) : undefined,
    nonce: config.nonce,
    next: 0,
    proofSignMicros: 0,
    proofsSigned: 0,
    resetCounters() {
      Object.assign(state, counters(), { proofSignMicros: 0, proofsSigned: 0 });
    },
  };
  return state;
}

/** The modes that take live refresh tokens from a queue (their successors go back in). */
const QUEUE_MODES = new Set(['refresh-queue', 'refresh-bound-queue']);

const base64url = (value) => Buffer.from(JSON.stringify(value)).toString('base64url');

/** Signs DPoP proofs (RFC 9449) with one device key; the header is encoded once. */
function proofSigner(privateJwk) {
  const { kty, crv, x, y } = privateJwk;
  const key = createPrivateKey({ key: privateJwk, format: 'jwk' });
  const header = base64url({ typ: 'dpop+jwt', alg: 'ES256', jwk: { kty, crv, x, y } });
  return (payload) => {
    const input = `${header}.${base64url(payload)}`;
    const signature = sign('sha256', Buffer.from(input), { key, dsaEncoding: 'ieee-p1363' });
    return `${input}.${signature.toString('base64url')}`;
  };
}

/** A FIFO of refresh tokens with O(1) take and put. */
class TokenQueue {
  constructor(tokens) {
    this.items = [...tokens];
    this.head = 0;
  }
  take() {
    if (this.head >= this.items.length) return undefined;
    const token = this.items[this.head++];
    if (this.head > 10_000 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return token;
  }
  put(token) {
    this.items.push(token);
  }
  get size() {
    return this.items.length - this.head;
  }
}

function noteError(state, status, body) {
  let code;
  try {
    code = JSON.parse(body).code ?? '';
  } catch {
    code = String(body).slice(0, 60);
  }
  const key = `${status} ${code}`.trim();
  state.errorCodes[key] = (state.errorCodes[key] ?? 0) + 1;
}

function buildRequest(config, state) {
  const json = { 'content-type': 'application/json' };
  const onError = (status, body) => {
    if (status < 200 || status >= 300) noteError(state, status, body);
  };
  switch (config.mode) {
    case 'plain':
      return {
        method: config.method ?? 'GET',
        path: config.path,
        headers: config.headers ?? {},
        onResponse: onError,
      };
    case 'bearer-pool':
      return {
        method: 'GET',
        path: config.path,
        setupRequest: poolHeader(config, state, 'authorization', 'Bearer '),
        onResponse: onError,
      };
    case 'cookie-pool':
      return {
        method: 'GET',
        path: config.path,
        setupRequest: poolHeader(config, state, 'cookie', ''),
        onResponse: (status, body, _context, headers) => {
          if (status < 200 || status >= 300) onError(status, body);
          else if (body.trim() === 'null') noteError(state, status, 'NO_SESSION');
          else if (config.expectSetCookie && !headers['set-cookie']) {
            noteError(state, status, 'NO_SET_COOKIE');
          }
        },
      };
    case 'refresh-queue':
      return {
        method: 'POST',
        path: config.path,
        setupRequest: (req) => {
          let token = state.queue.take();
          if (token === undefined) {
            // Every live token is in flight: this request is bound to fail, and is counted.
            state.starved++;
            token = 'starved';
          }
          req.headers = { ...req.headers, ...json };
          req.body = JSON.stringify({ refreshToken: token });
          return req;
        },
        onResponse: (status, body) => {
          if (status === 200) {
            const successor = JSON.parse(body).refreshToken;
            if (typeof successor === 'string') state.queue.put(successor);
            else noteError(state, status, 'NO_REFRESH_TOKEN_IN_BODY');
          } else {
            onError(status, body);
          }
        },
      };
    case 'refresh-bound-queue': {
      const htu = new URL(config.path, config.url).href;
      return {
        method: 'POST',
        path: config.path,
        setupRequest: (req, context) => {
          let entry = state.queue.take();
          if (entry === undefined) {
            state.starved++;
            entry = ['starved', 0];
          }
          const [token, keyIndex] = entry;
          const t0 = process.hrtime.bigint();
          const dpop = state.signers[keyIndex]({
            htm: 'POST',
            htu,
            iat: Math.floor(Date.now() / 1000),
            jti: randomUUID(),
            nonce: state.nonce,
          });
          state.proofSignMicros += Number(process.hrtime.bigint() - t0) / 1000;
          state.proofsSigned++;
          req.headers = { ...req.headers, ...json, dpop };
          req.body = JSON.stringify({ refreshToken: token });
          // The connection's context (one request in flight) keeps the key for the successor.
          context.keyIndex = keyIndex;
          return req;
        },
        onResponse: (status, body, context, headers) => {
          const nonce = headers['DPoP-Nonce'] ?? headers['dpop-nonce'];
          if (typeof nonce === 'string') state.nonce = nonce;
          if (status === 200) {
            const successor = JSON.parse(body).refreshToken;
            if (typeof successor === 'string') state.queue.put([successor, context.keyIndex]);
            else noteError(state, status, 'NO_REFRESH_TOKEN_IN_BODY');
          } else {
            onError(status, body);
          }
        },
      };
    }
    case 'login-pool':
      return {
        method: 'POST',
        path: config.path,
        setupRequest: (req) => {
          const email = config.users[state.next++ % config.users.length];
          req.headers = { ...req.headers, ...json };
          req.body = JSON.stringify({ email, password: config.password, deviceName: 'bench' });
          return req;
        },
        onResponse: onError,
      };
    default:
      throw new Error(`unknown mode ${config.mode}`);
  }
}

/** A setupRequest that puts the next token of the pool (round robin) into one header. */
function poolHeader(config, state, header, prefix) {
  return (req) => {
    const token = config.tokens[state.next++ % config.tokens.length];
    req.headers = { ...req.headers, [header]: `${prefix}${token}` };
    return req;
  };
}

function cannon(config, state, duration, measure) {
  const latencies2xx = [];
  const latenciesAll = [];
  const perSecond = [];
  const samples = config.record ? { t: [], latency: [], status: [] } : undefined;
  const started = Date.now();
  const cpuAtStart = process.cpuUsage();
  return new Promise((resolve, reject) => {
    const instance = autocannon(
      {
        url: config.url,
        connections: config.connections,
        duration,
        overallRate: config.overallRate,
        timeout: config.timeout ?? 10,
        requests: [buildRequest(config, state)],
      },
      (error, result) => {
        current = undefined;
        if (error) return reject(error);
        if (!measure) return resolve(undefined);
        const seconds = (Date.now() - started) / 1000;
        const cpu = process.cpuUsage(cpuAtStart);
        // Only whole seconds count; the last, partial one would drag the median down.
        const fullSeconds = perSecond.slice(0, Math.floor(seconds)).map((n) => n ?? 0);
        resolve({
          connections: config.connections,
          overallRate: config.overallRate,
          durationSeconds: Math.round(seconds * 100) / 100,
          responses: latenciesAll.length,
          ok: latencies2xx.length,
          non2xx: result.non2xx,
          errors: result.errors,
          timeouts: result.timeouts,
          statuses: state.statuses,
          errorCodes: state.errorCodes,
          starved: state.starved,
          tokensLeft: state.queue?.size,
          // The generator's own CPU time (user + system) over the measured run, and its proofs.
          workerCpuMicros: cpu.user + cpu.system,
          proofSignMicros: Math.round(state.proofSignMicros),
          proofsSigned: state.proofsSigned,
          nonce: state.nonce,
          // The live tokens after the run, so a later run can go on with the same sessions.
          tokens: config.returnTokens ? state.queue?.items.slice(state.queue.head) : undefined,
          // 2xx responses per whole second: their median, and the mean over the run.
          perSecond: fullSeconds,
          rpsMedian: median(fullSeconds),
          rpsMean: Math.round((latencies2xx.length / seconds) * 10) / 10,
          latency: summarize(latencies2xx),
          latencyAll: summarize(latenciesAll),
          latencies: config.raw ? latencies2xx.map((v) => Math.round(v * 1000) / 1000) : undefined,
          samples,
        });
      },
    );
    current = instance;
    // Float milliseconds per response (autocannon's own histogram keeps whole milliseconds only).
    instance.on('response', (_client, status, _bytes, responseTime) => {
      if (!measure) return;
      const now = Date.now();
      latenciesAll.push(responseTime);
      if (status >= 200 && status < 300) {
        latencies2xx.push(responseTime);
        const second = Math.floor((now - started) / 1000);
        perSecond[second] = (perSecond[second] ?? 0) + 1;
      }
      state.statuses[status] = (state.statuses[status] ?? 0) + 1;
      if (samples) {
        samples.t.push(now);
        samples.latency.push(Math.round(responseTime * 100) / 100);
        samples.status.push(status);
      }
    });
    if (stopRequested) instance.stop();
  });
}

function median(values) {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}
