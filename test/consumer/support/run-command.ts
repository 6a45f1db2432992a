import { spawn } from 'node:child_process';
import { trackChildProcess } from '../../support/global-setup.js';

export interface CommandResult {
  stdout: string;
  stderr: string;
  /** Wall-clock duration. */
  ms: number;
}

export interface CommandOptions {
  cwd: string;
  timeoutMs: number;
  /** Added to the runner's environment (minus npm's own `npm_*` variables). */
  env?: Record<string, string>;
}

/**
 * Runs a command to the end and resolves with its output; rejects with the command, its exit and
 * everything it printed when it fails or outlives `timeoutMs` (then it is killed).
 */
export function runCommand(
  command: string,
  args: string[],
  options: CommandOptions,
): Promise<CommandResult> {
  const started = Date.now();
  const child = spawn(command, args, {
    cwd: options.cwd,
    // No colours: failures are read in a test report, not a terminal.
    env: { ...hostEnv(), NO_COLOR: '1', FORCE_COLOR: '0', ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  trackChildProcess(child);
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  const label = `${command} ${args.join(' ')} (in ${options.cwd})`;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(new Error(`${label} could not start: ${error.message}`));
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      const ms = Date.now() - started;
      if (code === 0) return resolve({ stdout, stderr, ms });
      const how = signal ? `was killed (${signal}) after ${ms} ms` : `exited with code ${code}`;
      reject(new Error(`${label} ${how}\n--- stdout ---\n${stdout}\n--- stderr ---\n${stderr}`));
    });
  });
}

/**
 * The runner's environment without the `npm_*` variables that `npm test` exports (npm_config_prefix
 * and friends point at this repository and would steer an npm started in an app's folder).
 */
function hostEnv(): Record<string, string> {
  return Object.fromEntries(
    Object.entries(process.env).filter(
      (entry): entry is [string, string] =>
        entry[1] !== undefined && !entry[0].toLowerCase().startsWith('npm_'),
    ),
  );
}
