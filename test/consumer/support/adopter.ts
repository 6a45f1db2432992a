import path from 'node:path';
import { type DemoEnv, type DemoProcess, startDemo } from '../../support/demo-process.js';
import { createScratchDatabase, type ScratchDatabase } from '../../support/scratch-database.js';
import { type AppRecipe, compile, type ConsumerApp, createConsumerApp } from './consumer-app.js';
import type { CommandResult } from './run-command.js';
import { stageTimer } from './stage-timer.js';

/**
 * An adopter's server app on its way up: each stage is a promise that rejects with its own failure
 * (or the earlier stage's), so a test per stage reports exactly where the package let it down.
 */
export interface Adopter {
  readonly installed: Promise<ConsumerApp>;
  readonly compiled: Promise<CommandResult>;
  /** Its own PostgreSQL database, which the app migrates on start-up. */
  readonly database: Promise<ScratchDatabase>;
  readonly started: Promise<DemoProcess>;
  /** The started process for the HTTP checks: fails with one line when it did not start. */
  readonly running: Promise<DemoProcess>;
  /** How long each stage that ran took, e.g. `install 21.4 s, compile 8.9 s, start 2.3 s`. */
  timings(): string;
  /** Resolves when every stage has settled, whatever the outcome (for beforeAll). */
  settled(): Promise<void>;
  /** Stops the process, drops the database and deletes the folder. */
  dispose(): Promise<void>;
}

export interface AdopterOptions {
  recipe: AppRecipe;
  /** Database tag ([a-z0-9_], see createScratchDatabase). */
  databaseTag: string;
  /** The process's environment on top of the test defaults (DATABASE_URL is set here). */
  env?: DemoEnv;
}

/** Installs, compiles and starts the app (as a real process on its own database). */
export function bringUpAdopter({ recipe, databaseTag, env }: AdopterOptions): Adopter {
  const { durations, timed, summary } = stageTimer();
  // The first app of a run also waits for the pack; its install time alone is the app's own.
  const installed = createConsumerApp(recipe).then((app) => {
    durations.install = app.installMs;
    return app;
  });
  const compiled = installed.then(
    (app) => timed('compile', () => compile(app)),
    notReached('compile', 'install'),
  );
  const database = createScratchDatabase(databaseTag);
  const started = Promise.all([
    installed.catch(notReached('start', 'install')),
    compiled.catch(notReached('start', 'compile')),
    database,
  ]).then(([app, , db]) =>
    timed('start', () =>
      startDemo({
        name: `consumer-${recipe.name}`,
        entry: path.join(app.dir, 'dist/main.js'),
        cwd: app.dir,
        env: { ...env, DATABASE_URL: db.url },
      }),
    ),
  );
  const running = started.catch(notReached('checks', 'start'));
  const all = [installed, compiled, database, started, running];
  // Each stage is awaited by its own test; these handlers only keep a failure from being "unhandled".
  all.forEach((stage) => stage.catch(() => undefined));
  return {
    installed,
    compiled,
    database,
    started,
    running,
    timings: summary,
    settled: async () => {
      await Promise.allSettled(all);
    },
    dispose: async () => {
      await Promise.allSettled(all);
      await started.then((server) => server.stop()).catch(() => undefined);
      await Promise.all([
        database.then((db) => db.drop()).catch(() => undefined),
        installed.then((app) => app.remove()).catch(() => undefined),
      ]);
    },
  };
}

/** A later stage fails with one line pointing at the stage that failed (whose test prints why). */
function notReached(stage: string, failed: string): () => never {
  return () => {
    throw new Error(`${stage}: not reached, the ${failed} stage failed (see its test)`);
  };
}
