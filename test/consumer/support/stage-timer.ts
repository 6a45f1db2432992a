/** Times the named stages of a consumer app (a stage timed twice adds up). */
export interface StageTimer {
  /** Milliseconds per stage; a caller may set one it measured itself (e.g. `install`). */
  readonly durations: Record<string, number>;
  timed<T>(stage: string, work: () => Promise<T>): Promise<T>;
  /** e.g. `install 21.4 s, compile 8.9 s, start 2.3 s`. */
  summary(): string;
}

export function stageTimer(): StageTimer {
  const durations: Record<string, number> = {};
  return {
    durations,
    timed: async (stage, work) => {
      const begin = Date.now();
      try {
        return await work();
      } finally {
        durations[stage] = (durations[stage] ?? 0) + Date.now() - begin;
      }
    },
    summary: () =>
      Object.entries(durations)
        .map(([stage, ms]) => `${stage} ${(ms / 1000).toFixed(1)} s`)
        .join(', '),
  };
}
