// The "CPU budget" section of docs/benchmarks.md and docs/cpu-budget.json (bench/profile.mjs).
// The section sits between two markers so that either writer (the profile, or `npm run bench`
// rewriting the page) keeps it.
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ROWS } from './cpu-categories.mjs';
import { REPO_ROOT } from './demo.mjs';
import { prettierMarkdown } from './markdown.mjs';

export const BUDGET_JSON = path.join(REPO_ROOT, 'docs/cpu-budget.json');
const DOCS_MD = path.join(REPO_ROOT, 'docs/benchmarks.md');
const START = '<!-- cpu-budget:start (written by bench/profile.mjs) -->';
const END = '<!-- cpu-budget:end -->';
const HISTORY_HEADING = '## Before and after';

/** Columns that are differences of two profiles: what one route costs beyond another. */
const DIFFERENCES = [
  ['session-guard', 'unguarded', 'session-guard − unguarded'],
  ['unguarded', 'bare', 'unguarded − bare'],
];

function us(value) {
  if (value === undefined) return 'n/a';
  return Math.abs(value) >= 10 ? String(Math.round(value)) : value.toFixed(1);
}

function cells(values) {
  return `| ${values.map((v) => String(v).replace(/\|/g, '\\|')).join(' | ')} |`;
}

export function renderBudget(budget) {
  const byId = Object.fromEntries(budget.profiles.map((p) => [p.id, p]));
  const columns = budget.profiles.map((p) => p.id);
  const differences = DIFFERENCES.filter(([a, b]) => byId[a] && byId[b]);
  const value = (get) => [
    ...budget.profiles.map((p) => us(get(p))),
    ...differences.map(([a, b]) => us(get(byId[a]) - get(byId[b]))),
  ];
  const m = budget.machine;
  const lines = [
    '## CPU budget',
    '',
    'Written by `npm run bench -- --profile` (`bench/profile.mjs`; raw numbers and the top frames in',
    '[cpu-budget.json](cpu-budget.json)). Microseconds of CPU per request, by where they go. Each',
    'column is one route under load (autocannon, one process of its own) on a fresh instance run with',
    `\`node --cpu-prof\`: ${budget.settings.warmup} s of warm-up, then ${budget.settings.duration} s profiled, sampling every ${budget.settings.intervalUs} µs` +
      (budget.settings.repeat > 1
        ? `; each column the least costly of ${budget.settings.repeat} takes (other work only adds CPU per request).`
        : '.'),
    'Only samples inside the load window count; each is given to the nearest frame, walking from the leaf',
    "towards the root, whose code belongs to a row (`bench/lib/cpu-categories.mjs`: node's own",
    'helpers and V8 builtins other than JSON pass their samples on to their caller). The rows are the',
    "sample shares scaled to the main thread's CPU time read from /proc over the same window (samples",
    'are taken on a wall-clock timer, so a busy machine would inflate them; CPU time per request is much',
    'less sensitive to other work on the machine than req/s, though caches and frequency still are).',
    'The profiler costs a little too: req/s here is below an unprofiled run.',
    '',
    `- Date: ${m.date}; commit ${m.commit}${m.uncommittedChanges ? ` plus ${m.uncommittedChanges} uncommitted tracked file(s)` : ''}`,
    `- Machine: ${m.cores} cores (${m.cpu}), ${m.memoryGiB} GiB, ${m.platform}, Node ${m.node}`,
    `- Load average (1/5/15 min): ${m.loadAverageAtStart.join(' / ')} at the start, ${budget.loadAverageAtEnd.join(' / ')} at the end`,
    '',
    cells([
      'µs of CPU per request',
      ...columns.map((id) => `${id} (${byId[id].route})`),
      ...differences.map(([, , label]) => label),
    ]),
    cells(Array(1 + columns.length + differences.length).fill('---')),
    ...ROWS.map(([id, label]) => cells([label, ...value((p) => p.rows[id])])),
    cells(['**main thread, total** (CPU time from /proc)', ...value((p) => p.cpu.mainThread)]),
    cells([
      "idle instance's own main-thread CPU over the window (timers, the profiler), left out above",
      ...value((p) => p.cpu.idleBackground ?? 0),
    ]),
    cells([
      "off the main thread (libuv pool: bcrypt; V8's GC helpers; not the profiler's thread)",
      ...value((p) => p.cpu.offMainThread),
    ]),
    cells(['**process, total**', ...value((p) => p.cpu.process)]),
    cells([
      'requests in the profiled window',
      ...budget.profiles.map((p) => p.requests),
      ...differences.map(() => ''),
    ]),
    cells([
      'req/s while profiled',
      ...budget.profiles.map((p) => Math.round(p.requestsPerSecond)),
      ...differences.map(() => ''),
    ]),
    '',
  ];
  const problems = budget.profiles.flatMap((p) => p.problems.map((x) => `${p.id}: ${x}`));
  for (const problem of problems) lines.push(`- **Problem:** ${problem}`);
  if (problems.length) lines.push('');
  lines.push('Top owning frames (µs per request):', '');
  for (const p of budget.profiles) {
    const top = p.topFrames
      .slice(0, 6)
      .map((f) => `${f.fn} (${f.at || f.where}) ${us(f.usPerRequest)}`)
      .join('; ');
    lines.push(`- ${p.id}: ${top}`);
  }
  return `${lines.join('\n')}\n`;
}

/** Keeps the columns of the last run that this one did not take (an --only run). */
function mergeWithLast(budget) {
  try {
    const last = JSON.parse(readFileSync(BUDGET_JSON, 'utf8'));
    const ids = new Set(budget.profiles.map((p) => p.id));
    const kept = last.profiles.filter((p) => !ids.has(p.id));
    if (kept.length === 0) return budget;
    const order = (p) =>
      ['bare', 'unguarded', 'session-guard', 'me', 'refresh', 'login'].indexOf(p.id);
    return {
      ...budget,
      profiles: [...kept, ...budget.profiles].sort((a, b) => order(a) - order(b)),
    };
  } catch {
    return budget;
  }
}

/** The section as it stands in docs/cpu-budget.json, for `npm run bench` rewriting the page. */
export function budgetSection() {
  try {
    return `${START}\n\n${renderBudget(JSON.parse(readFileSync(BUDGET_JSON, 'utf8')))}\n${END}\n`;
  } catch {
    return '';
  }
}

/** Writes docs/cpu-budget.json and puts the section into docs/benchmarks.md; returns what it wrote. */
export async function writeBudget(budget) {
  writeFileSync(BUDGET_JSON, `${JSON.stringify(mergeWithLast(budget), null, 2)}\n`);
  const page = readFileSync(DOCS_MD, 'utf8');
  const at = page.indexOf(START);
  const end = page.indexOf(END);
  const section = budgetSection();
  // In place; the first time, before the hand-kept history (where `npm run bench` puts it too).
  const history = page.indexOf(HISTORY_HEADING);
  const next =
    at >= 0 && end > at
      ? page.slice(0, at) + section + page.slice(end + END.length + 1)
      : history >= 0
        ? `${page.slice(0, history)}${section}\n${page.slice(history)}`
        : `${page.trimEnd()}\n\n${section}`;
  writeFileSync(DOCS_MD, await prettierMarkdown(next));
  return `${path.relative(REPO_ROOT, DOCS_MD)} (CPU budget) and ${path.relative(REPO_ROOT, BUDGET_JSON)}`;
}
