import type { ChildProcess } from 'node:child_process';

export declare const REPO_ROOT: string;
export declare const DEMO_ENTRY: string;
export declare const READY_LINE: RegExp;

/** How an instance ended. */
export interface DemoExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Date.now() when the runner saw the exit. */
  at: number;
}

export interface LaunchOptions {
  /** Names the instance in messages. */
  name: string;
  /** Its whole environment, besides `hostEnv()`. */
  env: Record<string, string>;
  /** The built app to run. Default: the built demo. */
  entry?: string;
  /** The node executable. Default: the one running the caller (`process.execPath`). */
  node?: string;
  /** Options for node itself, before `entry` (e.g. `--cpu-prof`). Default: none. */
  nodeArgs?: string[];
  /** Its working directory. Default: the repository root. */
  cwd?: string;
  /** The most output kept (the latest). */
  maxOutputChars: number;
  /** Removes colour codes from the kept output. Default: false. */
  stripAnsi?: boolean;
  /** Sees each piece of output as it arrives (live logs). */
  echo?: (text: string) => void;
}

/** A launched instance. */
export interface LaunchedDemo {
  readonly name: string;
  readonly child: ChildProcess;
  readonly pid: number;
  /** Everything it printed so far (up to `maxOutputChars`), stdout and stderr interleaved. */
  output(): string;
  /** Resolves once the process has exited. */
  readonly exited: Promise<DemoExit>;
  /** The exit, once it happened. */
  exit(): DemoExit | undefined;
  /** SIGTERM, then SIGKILL if it is still running after 5 s. Safe to call twice. */
  stop(): Promise<void>;
  /** Sends any signal while it runs. */
  signal(signal: NodeJS.Signals): void;
  /** The first line from now on that matches `pattern`; rejects after `timeoutMs` or on exit. */
  waitForLine(pattern: RegExp, timeoutMs: number): Promise<RegExpExecArray>;
}

export declare function hostEnv(): Record<string, string>;
export declare function launchDemo(options: LaunchOptions): LaunchedDemo;
export declare function untilListening(demo: LaunchedDemo, timeoutMs: number): Promise<number>;
export declare function untilReady<T>(demo: LaunchedDemo, ready: () => Promise<T>): Promise<T>;
