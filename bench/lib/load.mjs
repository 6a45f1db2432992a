// Runner side of load-worker.mjs: one child process per load run.
import { fork } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { summarize } from './stats.mjs';

/** The modes of load-worker.mjs that carry live refresh tokens (and a proof nonce) between runs. */
const QUEUE_MODES = new Set(['refresh-queue', 'refresh-bound-queue']);

const WORKER = path.join(path.dirname(fileURLToPath(import.meta.url)), 'load-worker.mjs');
const workers = new Set();
process.once('exit', () => workers.forEach((child) => child.kill('SIGKILL')));

/**
 * Starts a load run in a child process. Returns `{ done, stop }`: `done` resolves with the
 * worker's summary of the measured part (after `warmup` seconds of unmeasured load), `stop()`
 * ends the run early (the summary then covers what ran).
 */
export function startLoad(config) {
  const child = fork(WORKER, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  workers.add(child);
  const done = new Promise((resolve, reject) => {
    let settled = false;
    child.on('message', (message) => {
      settled = true;
      if (message.type === 'result') resolve(message.result);
      else reject(new Error(`load worker failed: ${message.message}`));
    });
    child.on('exit', (code) => {
      workers.delete(child);
      if (!settled) reject(new Error(`load worker exited with code ${code} before reporting`));
    });
  });
  child.send({ type: 'start', config: { warmup: 0, ...config } });
  return {
    done,
    stop: () => {
      if (child.connected) child.send({ type: 'stop' });
    },
  };
}

/** Runs a load to completion. */
export function runLoad(config) {
  return startLoad(config).done;
}

/** Kills every load worker still running (SIGINT). */
export function killLoads() {
  workers.forEach((child) => child.kill('SIGKILL'));
}

/**
 * Runs the named loads in turn, `rounds` times over (warm-up in the first round only), and merges
 * each load's rounds into one result. Interleaving spreads a noisy neighbour's bursts over all the
 * loads alike, which is what the ratios between them need. A refresh-queue (or refresh-bound-queue) load
 * carries its live tokens (and proof nonce) from round to round. `during[name](round)` runs beside that load's round (e.g. probes).
 */
export async function runInterleaved(loads, { rounds, duration, warmup, during = {} }) {
  const parts = Object.fromEntries(Object.keys(loads).map((name) => [name, []]));
  const tokens = {};
  const nonces = {};
  const sideResults = {};
  for (let round = 0; round < rounds; round++) {
    for (const [name, config] of Object.entries(loads)) {
      const run = { ...config, duration: duration / rounds, warmup: round === 0 ? warmup : 0 };
      run.raw = true;
      if (QUEUE_MODES.has(config.mode)) {
        run.returnTokens = true;
        run.tokens = tokens[name] ?? config.tokens;
        run.nonce = nonces[name] ?? config.nonce;
      }
      const handle = startLoad(run);
      const [result, side] = await Promise.all([handle.done, during[name]?.(round, run)]);
      if (side !== undefined) (sideResults[name] ??= []).push(side);
      if (QUEUE_MODES.has(config.mode)) {
        tokens[name] = result.tokens;
        nonces[name] = result.nonce;
      }
      parts[name].push(result);
    }
  }
  const merged = Object.fromEntries(
    Object.entries(parts).map(([name, results]) => [name, mergeResults(results)]),
  );
  return { ...merged, side: sideResults };
}

function sumOf(results, key) {
  return results.reduce((sum, r) => sum + (r[key] ?? 0), 0);
}

function mergeCounts(results, key) {
  const out = {};
  for (const r of results) {
    for (const [k, v] of Object.entries(r[key] ?? {})) out[k] = (out[k] ?? 0) + v;
  }
  return out;
}

/** One result from several runs of the same load (their raw latencies and per-second counts). */
export function mergeResults(results) {
  const perSecond = results.flatMap((r) => r.perSecond ?? []);
  const latencies = results.flatMap((r) => r.latencies ?? []);
  const seconds = sumOf(results, 'durationSeconds');
  const sorted = [...perSecond].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return {
    connections: results[0].connections,
    overallRate: results[0].overallRate,
    rounds: results.length,
    durationSeconds: Math.round(seconds * 100) / 100,
    responses: sumOf(results, 'responses'),
    ok: sumOf(results, 'ok'),
    non2xx: sumOf(results, 'non2xx'),
    errors: sumOf(results, 'errors'),
    timeouts: sumOf(results, 'timeouts'),
    starved: sumOf(results, 'starved'),
    workerCpuMicros: sumOf(results, 'workerCpuMicros'),
    proofSignMicros: sumOf(results, 'proofSignMicros'),
    proofsSigned: sumOf(results, 'proofsSigned'),
    statuses: mergeCounts(results, 'statuses'),
    errorCodes: mergeCounts(results, 'errorCodes'),
    perSecond,
    rpsMedian:
      sorted.length === 0
        ? undefined
        : sorted.length % 2
          ? sorted[mid]
          : (sorted[mid - 1] + sorted[mid]) / 2,
    rpsMean: Math.round((sumOf(results, 'ok') / seconds) * 10) / 10,
    latency: summarize(latencies),
    tokens: results[results.length - 1].tokens,
    perRound: results.map((r) => ({
      durationSeconds: r.durationSeconds,
      rpsMedian: r.rpsMedian,
      rpsMean: r.rpsMean,
      latency: r.latency,
      non2xx: r.non2xx,
      errors: r.errors,
    })),
  };
}
