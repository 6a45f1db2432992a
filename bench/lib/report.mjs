// Result rows, the stdout table, docs/benchmarks.md and docs/benchmarks.json.
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { budgetSection } from './cpu-budget-report.mjs';
import { REPO_ROOT } from './demo.mjs';
import { prettierMarkdown } from './markdown.mjs';

export const DOCS_MD = path.join(REPO_ROOT, 'docs/benchmarks.md');
const DOCS_HISTORY = path.join(REPO_ROOT, 'docs/benchmark-history.md');
export const DOCS_JSON = path.join(REPO_ROOT, 'docs/benchmarks.json');

/**
 * One line of a scenario's table. `target` is the text of issue 6's target (or undefined) and
 * `met` true / false / undefined (not measurable in this run).
 */
export function row(metric, value, unit = '', target = undefined, met = undefined) {
  return { metric, value, unit, target, met };
}

/** `value <= limit` as a target check; undefined when the value is missing. */
/** What went wrong in token-queue loads (refresh scenarios), one line per load that saw any. */
export function queueLoadProblems(loads) {
  return Object.entries(loads)
    .filter(([, r]) => r.non2xx || r.errors || r.timeouts || r.starved)
    .map(
      ([name, r]) =>
        `${name}: ${r.non2xx} non-2xx, ${r.errors} errors, ${r.timeouts} timeouts, ${r.starved ?? 0} requests without a free token ` +
        `(${JSON.stringify(r.errorCodes)})`,
    );
}

export function atMost(value, limit) {
  return typeof value === 'number' && Number.isFinite(value) ? value <= limit : undefined;
}

export function atLeast(value, limit) {
  return typeof value === 'number' && Number.isFinite(value) ? value >= limit : undefined;
}

function formatValue(value, unit) {
  if (value === undefined || value === null) return 'n/a';
  if (typeof value === 'number') {
    const text =
      Math.abs(value) >= 100
        ? Math.round(value).toLocaleString('en-US')
        : String(Math.round(value * 100) / 100);
    return unit ? `${text} ${unit}` : text;
  }
  return unit ? `${value} ${unit}` : String(value);
}

function formatMet(met) {
  if (met === true) return 'yes';
  if (met === false) return 'NO';
  return '';
}

/** The plain-text table printed at the end of a run. */
export function textTable(results) {
  const lines = [];
  const rows = [];
  for (const result of results) {
    rows.push([`${result.number} ${result.title}`, '', '', '']);
    if (result.error) rows.push(['  FAILED', result.error.split('\n')[0].slice(0, 90), '', '']);
    for (const r of result.rows ?? []) {
      rows.push([`  ${r.metric}`, formatValue(r.value, r.unit), r.target ?? '', formatMet(r.met)]);
    }
  }
  const header = ['scenario / metric', 'value', 'target', 'met'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const format = (cells) =>
    cells
      .map((c, i) => c.padEnd(widths[i]))
      .join('  ')
      .trimEnd();
  lines.push(format(header), widths.map((w) => '-'.repeat(w)).join('  '));
  for (const r of rows) lines.push(format(r));
  for (const result of results) {
    for (const problem of result.problems ?? []) lines.push(`! ${result.number}: ${problem}`);
  }
  return lines.join('\n');
}

function markdownTable(rows) {
  const lines = ['| metric | value | target | met |', '|---|---|---|---|'];
  for (const r of rows) {
    const cells = [r.metric, formatValue(r.value, r.unit), r.target ?? '', formatMet(r.met)];
    lines.push(`| ${cells.map((c) => c.replace(/\|/g, '\\|')).join(' | ')} |`);
  }
  return lines.join('\n');
}

function describeRun(run) {
  const m = run.machine;
  const packages = Object.entries(m.packages)
    .map(([name, version]) => `${name} ${version}`)
    .join(', ');
  return [
    `- Date: ${m.date}`,
    `- Machine: ${m.cores} cores (${m.cpu}), ${m.memoryGiB} GiB memory, ${m.platform}`,
    `- Node ${m.node}; ${packages}`,
    `- Commit ${m.commit}${m.uncommittedChanges ? ` plus ${m.uncommittedChanges} uncommitted tracked file(s)` : ''}`,
    `- Load average at start (1/5/15 min): ${m.loadAverageAtStart.join(' / ')}`,
    ...(run.calibration
      ? [
          `- Round trips at start (issue 6 measured 0.12 ms and 0.45 ms): Redis GET p50 ${run.calibration.redisGet.p50} ms; ` +
            `PostgreSQL SELECT 1 p50 ${run.calibration.postgresSelect1.p50} ms; one-row UPDATE ... RETURNING ` +
            `(autocommit, so one WAL flush each) p50 ${run.calibration.postgresUpdateReturning.p50} ms, p99 ${run.calibration.postgresUpdateReturning.p99} ms`,
        ]
      : []),
    `- Settings: ${run.settings.duration} s per load run after ${run.settings.warmup} s of warm-up, ` +
      `${run.settings.connections} connections; whole run took ${Math.round(run.seconds)} s` +
      (run.partial ? ` (partial run: ${run.scenarioIds.join(', ')})` : ''),
  ].join('\n');
}

/** Merges this run's scenarios into the previous document so a partial run keeps the others. */
export function mergeWithPrevious(document) {
  let previous;
  try {
    previous = JSON.parse(readFileSync(DOCS_JSON, 'utf8'));
  } catch {
    return document;
  }
  const ids = new Set(document.scenarios.map((s) => s.id));
  const kept = (previous.scenarios ?? []).filter((s) => !ids.has(s.id));
  const runs = { ...(previous.runs ?? {}), ...document.runs };
  const scenarios = [...kept, ...document.scenarios].sort((a, b) => a.order - b.order);
  const usedRuns = new Set(scenarios.map((s) => s.runId));
  for (const id of Object.keys(runs)) if (!usedRuns.has(id)) delete runs[id];
  return { ...document, runs, scenarios };
}

export async function writeDocs(document) {
  writeFileSync(DOCS_JSON, `${JSON.stringify(document, null, 2)}\n`);
  // The CPU budget (bench/profile.mjs) is kept as its last run wrote it.
  const budget = budgetSection();
  writeFileSync(
    DOCS_MD,
    await prettierMarkdown(renderMarkdown(document) + (budget && `\n${budget}`) + beforeAndAfter()),
  );
}

/**
 * Hand-kept comparisons of runs on different commits (docs/benchmark-history.md), appended to the
 * generated page so that a new run does not drop them.
 */
function beforeAndAfter() {
  try {
    return `\n${readFileSync(DOCS_HISTORY, 'utf8')}`;
  } catch {
    return '';
  }
}

export function renderMarkdown(document) {
  const latest = document.runs[document.latestRunId];
  const out = [
    '# Benchmarks',
    '',
    'Written by `npm run bench` (see [bench/README.md](../bench/README.md)); raw numbers in',
    '[benchmarks.json](benchmarks.json). Targets are those of issues 6 and 11. Everything runs on one',
    'machine over loopback: the demo instances, PostgreSQL, Redis and the load generators share the',
    'same cores, so treat ratios measured in one run as the result and absolute numbers as indicative.',
    '',
  ];
  const runIds = Object.keys(document.runs).sort((a, b) =>
    document.runs[b].machine.date.localeCompare(document.runs[a].machine.date),
  );
  if (runIds.length === 1) {
    out.push('## Run', '', describeRun(latest), '');
  } else {
    // A partial run merged into an earlier one: say which numbers come from which run.
    out.push('## Runs', '');
    for (const id of runIds) {
      const run = document.runs[id];
      const scenarios = document.scenarios.filter((sc) => sc.runId === id).map((sc) => sc.number);
      out.push(
        `### ${run.machine.date} (scenarios ${scenarios.join(', ')})`,
        '',
        describeRun(run),
        '',
      );
    }
  }
  const met = document.scenarios.flatMap((s) => s.rows ?? []).filter((r) => r.met !== undefined);
  if (met.length > 0) {
    const missed = met.filter((r) => r.met === false).length;
    out.push(`Targets met: ${met.length - missed} of ${met.length}.`, '');
  }
  for (const scenario of document.scenarios) {
    out.push(`## ${scenario.number}. ${scenario.title}`, '');
    if (scenario.runId !== document.latestRunId) {
      const run = document.runs[scenario.runId];
      out.push(
        `_From an earlier run: ${run?.machine.date ?? 'unknown date'}, commit ${run?.machine.commit ?? '?'}._`,
        '',
      );
    }
    if (scenario.description) out.push(scenario.description, '');
    if (scenario.error)
      out.push(`**The scenario failed:** \`${scenario.error.split('\n')[0]}\``, '');
    if (scenario.rows?.length) out.push(markdownTable(scenario.rows), '');
    const notes = [
      ...(scenario.problems ?? []).map((p) => `**Problem:** ${p}`),
      ...(scenario.notes ?? []),
    ];
    if (scenario.loadAverage) {
      const busy =
        scenario.cpuBusyBefore === undefined
          ? ''
          : `CPU ${scenario.cpuBusyBefore}% busy with other work just before it; `;
      notes.push(
        `${busy}load average (1 min) ${scenario.loadAverage.start[0]} at the start, ${scenario.loadAverage.end[0]} at the end; the scenario took ${Math.round(scenario.seconds)} s.`,
      );
    }
    for (const note of notes) out.push(`- ${note}`);
    if (notes.length) out.push('');
  }
  return `${out.join('\n').trimEnd()}\n`;
}
