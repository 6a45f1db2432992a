// Reading what a demo instance printed: pino writes one JSON object per line (the text in `msg`),
// Nest's own logger lines go through pino too; anything that is not JSON is skipped.

export interface LogLine {
  level?: number;
  time?: number;
  pid?: number;
  hostname?: string;
  context?: string;
  msg?: string;
  req?: { id?: string; method?: string; path?: string; [key: string]: unknown };
  res?: { statusCode?: number; [key: string]: unknown };
  [key: string]: unknown;
}

export function logLines(output: string): LogLine[] {
  const lines: LogLine[] = [];
  for (const raw of output.split('\n')) {
    const text = raw.trim();
    if (!text.startsWith('{')) continue;
    try {
      const parsed: unknown = JSON.parse(text);
      if (parsed && typeof parsed === 'object') lines.push(parsed as LogLine);
    } catch {
      // a line cut by the output cap, or not JSON after all
    }
  }
  return lines;
}

/** The process id pino stamps on every line. */
export function pidFromLogs(output: string): number | undefined {
  return logLines(output).find((line) => typeof line.pid === 'number')?.pid;
}

/** One `cleanup run instance=... lock=... ended=N deleted=M duration=Xms started=.. finished=..` line. */
export interface CleanupRunLine {
  instance: string;
  lock: string;
  ended: number;
  deleted: number;
  durationMs: number;
  started: number;
  finished: number;
  /** The pid of the process that printed it (from the instance id `host:pid:suffix`). */
  pid: number;
}

const CLEANUP_RUN =
  /cleanup run instance=(\S+) lock=(\S+) ended=(\d+) deleted=(\d+) duration=(\d+)ms started=(\d+) finished=(\d+)/;

export function cleanupRuns(output: string): CleanupRunLine[] {
  return logLines(output).flatMap((line) => {
    const match = typeof line.msg === 'string' ? CLEANUP_RUN.exec(line.msg) : null;
    if (!match) return [];
    const [, instance, lock, ended, deleted, duration, started, finished] = match;
    return [
      {
        instance,
        lock,
        ended: Number(ended),
        deleted: Number(deleted),
        durationMs: Number(duration),
        started: Number(started),
        finished: Number(finished),
        pid: Number(instance.split(':').at(-2)),
      },
    ];
  });
}

/** Every cleanup run the instances printed, in order of start. */
export function cleanupRunsOf(demos: { output(): string }[]): CleanupRunLine[] {
  return demos
    .flatMap((demo) => cleanupRuns(demo.output()))
    .sort((x, y) => x.started - y.started || x.finished - y.finished);
}
