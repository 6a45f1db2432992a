// A tiny keep-alive HTTP client for set-up work and latency probes (node:http, no dependencies).
import http from 'node:http';
import { performance } from 'node:perf_hooks';
import { URL } from 'node:url';

const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
const TIMEOUT_MS = 30_000;

/**
 * One request; resolves with `{ status, body, sentAt, receivedAt }` (body parsed when JSON,
 * sentAt/receivedAt from performance.now()). Rejects only on a network error or a timeout.
 */
export function request(baseUrl, method, path, { body, token, headers = {} } = {}) {
  const url = new URL(path, baseUrl);
  const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
  const allHeaders = { ...headers };
  if (payload) {
    allHeaders['content-type'] = 'application/json';
    allHeaders['content-length'] = String(payload.length);
  }
  if (token) allHeaders.authorization = `Bearer ${token}`;
  return new Promise((resolve, reject) => {
    const sentAt = performance.now();
    const req = http.request(
      url,
      { method, headers: allHeaders, agent, timeout: TIMEOUT_MS },
      (res) => {
        const chunks = [];
        res.on('data', (chunk) => chunks.push(chunk));
        res.on('error', reject);
        res.on('end', () => {
          const receivedAt = performance.now();
          const text = Buffer.concat(chunks).toString('utf8');
          let parsed = text;
          if (/json/.test(res.headers['content-type'] ?? '') && text) {
            try {
              parsed = JSON.parse(text);
            } catch {
              // keep the text
            }
          }
          resolve({
            status: res.statusCode,
            body: parsed,
            headers: res.headers,
            sentAt,
            receivedAt,
          });
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error(`${method} ${path} timed out`)));
    req.on('error', reject);
    req.end(payload);
  });
}

/** Like `request`, but throws unless the status is the expected one. */
export async function expectStatus(expected, baseUrl, method, path, options) {
  const res = await request(baseUrl, method, path, options);
  if (res.status !== expected) {
    const detail = typeof res.body === 'string' ? res.body : JSON.stringify(res.body);
    throw new Error(
      `${method} ${path}: expected ${expected}, got ${res.status} ${detail.slice(0, 300)}`,
    );
  }
  return res;
}

export const PASSWORD = 'bench-password-1';

export function register(baseUrl, email, deviceName = 'bench') {
  return expectStatus(201, baseUrl, 'POST', '/auth/register', {
    body: { email, password: PASSWORD, deviceName },
  }).then((res) => res.body);
}

export function login(baseUrl, email, deviceName = 'bench') {
  return expectStatus(200, baseUrl, 'POST', '/auth/login', {
    body: { email, password: PASSWORD, deviceName },
  }).then((res) => res.body);
}

/** Runs `fn` over `items` with at most `concurrency` in flight; results in input order. */
export async function mapLimit(items, concurrency, fn) {
  const results = new Array(items.length);
  let next = 0;
  const lanes = Array.from({ length: Math.min(concurrency, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i], i);
    }
  });
  await Promise.all(lanes);
  return results;
}

export function closeHttp() {
  agent.destroy();
}
