import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { TEST_ENV_KEYS } from '../../support/global-setup.js';
import { lockedVersions } from './locked-versions.js';
import { PACKAGE_NAME, packedLibrary } from './packed-library.js';
import { type CommandResult, runCommand } from './run-command.js';

const APPS_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), '../apps');
const INSTALL_TIMEOUT_MS = 240_000;
const BUILD_TIMEOUT_MS = 180_000;

/** How to make one adopter's app. */
export interface AppRecipe {
  /** Names the temporary folder and labels failures. */
  name: string;
  /** Folders under test/consumer/apps copied into the app in this order (a later file wins). */
  layers: string[];
  /** The packed packages it installs by their tarball; default the library (`nestjs-session-auth`). */
  packages?: string[];
  /** Packages the app depends on besides the library; exact versions come from the root lockfile. */
  dependencies: string[];
  devDependencies: string[];
  /** Exact versions that win over package-lock.json's, for the dependencies named above. */
  pinned?: Readonly<Record<string, string>>;
  /** The app's tsconfig.json. */
  tsconfig: Record<string, unknown>;
}

/** A brand-new app in a temporary folder with the packed library installed. */
export interface ConsumerApp {
  readonly name: string;
  readonly dir: string;
  readonly installMs: number;
  /** Runs a command in the app's folder (with `env` added); rejects with its output when it fails. */
  run(command: string, args: string[], env?: Record<string, string>): Promise<CommandResult>;
  /** Runs a binary of the app's own node_modules, e.g. `bin('typescript/bin/tsc', ['-p', '.'])`. */
  bin(script: string, args: string[]): Promise<CommandResult>;
  /** Deletes the folder. */
  remove(): Promise<void>;
}

/** Strict TypeScript for a Nest app on Node, checking every .d.ts it reads (the package's too). */
export const NODE_APP_TSCONFIG = {
  compilerOptions: {
    target: 'ES2022',
    module: 'NodeNext',
    moduleResolution: 'NodeNext',
    lib: ['ES2022'],
    types: ['node'],
    strict: true,
    skipLibCheck: false,
    experimentalDecorators: true,
    emitDecoratorMetadata: true,
    outDir: 'dist',
    rootDir: 'src',
  },
  include: ['src'],
};

/** Strict TypeScript for browser code: DOM types, no Node types, every .d.ts checked. */
export const BROWSER_APP_TSCONFIG = {
  compilerOptions: {
    target: 'ES2022',
    module: 'ESNext',
    moduleResolution: 'Bundler',
    lib: ['ES2022', 'DOM'],
    types: [],
    strict: true,
    skipLibCheck: false,
    noEmit: true,
  },
  include: ['src'],
};

/**
 * Writes package.json (the tarball by path, exact versions of everything else), copies the app's
 * sources and runs `npm install --prefer-offline` so the npm cache serves it.
 */
export async function createConsumerApp(recipe: AppRecipe): Promise<ConsumerApp> {
  const tarballs = await Promise.all(
    (recipe.packages ?? [PACKAGE_NAME]).map(async (name) => [
      name,
      `file:${(await packedLibrary(name)).tarball}`,
    ]),
  );
  // Inside the run's folder when there is one, so the global teardown removes what a killed run left.
  const parent = process.env[TEST_ENV_KEYS.runDir] ?? tmpdir();
  const dir = mkdtempSync(path.join(parent, `consumer-${recipe.name}-`));
  const manifest = {
    name: `consumer-${recipe.name}`,
    version: '1.0.0',
    private: true,
    type: 'module',
    dependencies: {
      ...Object.fromEntries(tarballs),
      ...lockedVersions(recipe.dependencies, recipe.pinned),
    },
    devDependencies: lockedVersions(recipe.devDependencies, recipe.pinned),
  };
  writeFileSync(path.join(dir, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  writeFileSync(path.join(dir, 'tsconfig.json'), `${JSON.stringify(recipe.tsconfig, null, 2)}\n`);
  for (const layer of recipe.layers) cpSync(path.join(APPS_DIR, layer), dir, { recursive: true });

  const run = (
    command: string,
    args: string[],
    timeoutMs = BUILD_TIMEOUT_MS,
    env?: Record<string, string>,
  ) => runCommand(command, args, { cwd: dir, timeoutMs, env });
  try {
    // Never --force or --legacy-peer-deps: the install must resolve as a stranger's would.
    const install = await run(
      'npm',
      ['install', '--prefer-offline', '--no-audit', '--no-fund'],
      INSTALL_TIMEOUT_MS,
    );
    return {
      name: recipe.name,
      dir,
      installMs: install.ms,
      run: (command, args, env) => run(command, args, BUILD_TIMEOUT_MS, env),
      bin: (script, args) =>
        run(process.execPath, [path.join(dir, 'node_modules', script), ...args]),
      remove: () => rm(dir, { recursive: true, force: true }),
    };
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}

/** Compiles the app with its own TypeScript (strict, per its tsconfig.json). */
export function compile(app: ConsumerApp) {
  return app.bin('typescript/bin/tsc', ['-p', 'tsconfig.json']);
}

/** A browser app with its type-check and Vite build, each settled (tests await them, no timeout). */
export interface BrowserApp {
  app: ConsumerApp;
  typeCheck: Promise<CommandResult>;
  build: Promise<CommandResult>;
}

/** Makes a browser app (TypeScript and Vite, `BROWSER_APP_TSCONFIG`), type-checks and bundles it. */
export async function buildBrowserApp(
  recipe: Omit<AppRecipe, 'devDependencies' | 'tsconfig'>,
): Promise<BrowserApp> {
  const app = await createConsumerApp({
    ...recipe,
    devDependencies: ['typescript', 'vite'],
    tsconfig: BROWSER_APP_TSCONFIG,
  });
  const typeCheck = compile(app);
  const build = app.bin('vite/bin/vite.js', ['build']);
  await Promise.allSettled([typeCheck, build]);
  return { app, typeCheck, build };
}

/** The JavaScript files `vite build` wrote to the app's dist/assets, and their text. */
export function viteBundle(app: ConsumerApp): { files: string[]; code: string; bytes: number } {
  const assets = path.join(app.dir, 'dist/assets');
  const files = readdirSync(assets).filter((file) => file.endsWith('.js'));
  const code = files.map((file) => readFileSync(path.join(assets, file), 'utf8')).join('\n');
  return { files, code, bytes: Buffer.byteLength(code) };
}
