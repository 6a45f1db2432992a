import { randomBytes } from 'node:crypto';
import http from 'node:http';

// A keep-alive HTTP client on node:http (one Agent with keepAlive, one socket at a time, like a
// browser tab or a pooled backend client), which records for every request whether it reused a
// connection and how exactly it failed: a refused new connection (ECONNREFUSED) and a reset of a
// request in flight (ECONNRESET, "socket hang up") are told apart.

export interface KeepAliveResult {
  method: string;
  path: string;
  /** The X-Request-Id sent, so the server's log line of this request can be found. */
  requestId: string;
  startedAt: number;
  finishedAt: number;
  /** The request went out on a connection an earlier request had used. */
  reusedSocket: boolean;
  status?: number;
  headers?: http.IncomingHttpHeaders;
  body?: any;
  error?: { code?: string; message: string };
}

const REQUEST_TIMEOUT_MS = 10_000;

export class KeepAliveClient {
  readonly agent = new http.Agent({ keepAlive: true, maxSockets: 1 });

  constructor(readonly baseUrl: string) {}

  request(
    method: string,
    path: string,
    options: { token?: string; json?: unknown; headers?: Record<string, string> } = {},
  ): Promise<KeepAliveResult> {
    const url = new URL(path, this.baseUrl);
    const body = options.json === undefined ? undefined : JSON.stringify(options.json);
    const requestId = `ka-${randomBytes(8).toString('hex')}`;
    const headers: Record<string, string> = { 'x-request-id': requestId, ...options.headers };
    if (options.token) headers.authorization = `Bearer ${options.token}`;
    if (body !== undefined) {
      headers['content-type'] = 'application/json';
      headers['content-length'] = String(Buffer.byteLength(body));
    }
    const result: KeepAliveResult = {
      method,
      path,
      requestId: headers['x-request-id'],
      startedAt: Date.now(),
      finishedAt: 0,
      reusedSocket: false,
    };
    return new Promise((resolve) => {
      let settled = false;
      const finish = (): void => {
        if (settled) return;
        settled = true;
        result.finishedAt = Date.now();
        resolve(result);
      };
      const req = http.request(url, { method, headers, agent: this.agent }, (res) => {
        result.status = res.statusCode;
        result.headers = res.headers;
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          try {
            result.body = text ? JSON.parse(text) : undefined;
          } catch {
            result.body = text;
          }
          finish();
        });
        res.on('error', (error: NodeJS.ErrnoException) => {
          result.error = { code: error.code, message: error.message };
          finish();
        });
      });
      req.on('socket', () => {
        result.reusedSocket = req.reusedSocket;
      });
      req.setTimeout(REQUEST_TIMEOUT_MS, () =>
        req.destroy(Object.assign(new Error('no answer in time'), { code: 'TIMEOUT' })),
      );
      req.on('error', (error: NodeJS.ErrnoException) => {
        result.error = { code: error.code, message: error.message };
        finish();
      });
      req.end(body);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}
