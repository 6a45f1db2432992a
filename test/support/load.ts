import type { ApiResponse } from './http-client.js';
import { sleep } from './timing.js';

// Bounded load for the fault and operability suites: a few sequential workers, each looping until
// a shared stop signal, a deadline or its own iteration cap, whichever comes first. Every request
// goes through a RequestLog, which keeps start and end times, so a test can ask "what answered
// after the moment X" and print the totals the issue asks for.

export interface LoadOptions {
  workers: number;
  /** Hard ceiling on the whole load, whatever the stop signal does. */
  maxDurationMs: number;
  /** Hard ceiling per worker. */
  maxIterationsPerWorker: number;
  /** A pause between two iterations of a worker, so a 2-core machine shared with others is not flooded. */
  pauseMs?: number;
}

export interface Load {
  /** Asks every worker to stop after its current iteration. */
  stop(): void;
  /** Resolves when every worker has stopped; rejects with the first error a worker threw. */
  done: Promise<void>;
  /** Total iterations run so far. */
  iterations(): number;
}

/** Starts `options.workers` loops of `iteration(worker, i)`. */
export function startLoad(
  options: LoadOptions,
  iteration: (worker: number, i: number) => Promise<void>,
): Load {
  let stopped = false;
  let total = 0;
  const deadline = Date.now() + options.maxDurationMs;
  const worker = async (w: number): Promise<void> => {
    for (let i = 0; i < options.maxIterationsPerWorker; i++) {
      if (stopped || Date.now() >= deadline) return;
      total++;
      await iteration(w, i);
      if (options.pauseMs) await sleep(options.pauseMs);
    }
  };
  const done = Promise.all(Array.from({ length: options.workers }, (_, w) => worker(w))).then(
    () => undefined,
    (error: unknown) => {
      stopped = true;
      throw error;
    },
  );
  return {
    stop: () => {
      stopped = true;
    },
    done,
    iterations: () => total,
  };
}

export interface RecordedRequest {
  /** What the test calls it, e.g. `GET /me` or `refresh`. */
  kind: string;
  instance: string;
  /** Date.now() just before sending and just after the whole response was read. */
  startedAt: number;
  finishedAt: number;
  status?: number;
  code?: string;
  /** A network-level failure (fetch failed, reset, refused...). */
  error?: string;
  response?: ApiResponse;
}

/** Every request of a load, with its timing and outcome. */
export class RequestLog {
  readonly entries: RecordedRequest[] = [];

  async send(
    kind: string,
    instance: string,
    request: () => Promise<ApiResponse>,
  ): Promise<RecordedRequest> {
    const startedAt = Date.now();
    const entry: RecordedRequest = { kind, instance, startedAt, finishedAt: startedAt };
    try {
      const response = await request();
      entry.response = response;
      entry.status = response.status;
      entry.code = typeof response.body?.code === 'string' ? response.body.code : undefined;
    } catch (error) {
      entry.error = describeError(error);
    }
    entry.finishedAt = Date.now();
    this.entries.push(entry);
    return entry;
  }

  /** Responses with a 5xx status, and requests that got no response at all. */
  failures(filter: (entry: RecordedRequest) => boolean = () => true): RecordedRequest[] {
    return this.entries.filter(
      (e) => filter(e) && (e.error !== undefined || (e.status !== undefined && e.status >= 500)),
    );
  }

  /** `{ "GET /me 200": 812, "refresh 401 SESSION_REVOKED": 3, ... }` */
  tally(): Record<string, number> {
    const counts: Record<string, number> = {};
    for (const e of this.entries) {
      const key = e.error
        ? `${e.kind} ERROR ${e.error}`
        : `${e.kind} ${e.status}${e.code ? ` ${e.code}` : ''}`;
      counts[key] = (counts[key] ?? 0) + 1;
    }
    return Object.fromEntries(Object.entries(counts).sort());
  }
}

/** A compact, printable view of an entry (no response object). */
export function brief(entry: RecordedRequest): Omit<RecordedRequest, 'response'> & {
  body?: unknown;
} {
  const { response, ...rest } = entry;
  return { ...rest, body: response?.body };
}

export function describeError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  const code = (error as { code?: string }).code ?? cause?.code;
  return [error.message, cause?.message, code].filter(Boolean).join(' / ');
}
