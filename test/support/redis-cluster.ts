import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { startRedisServer, type TestRedisServer } from './redis-server.js';
import { eventually } from './timing.js';

const run = promisify(execFile);

/** How long a silent master counts as alive: short, so a failover takes about two seconds. */
export const CLUSTER_NODE_TIMEOUT_MS = 1000;

/** A Redis Cluster of real `redis-server` processes, owned by one test file. */
export interface TestRedisCluster {
  readonly nodes: TestRedisServer[];
  /** `host:port,host:port,...` of every node, for REDIS_CLUSTER_NODES. */
  readonly seeds: string;
  /** `redis-cli` against one node (cluster mode off: the answer of that node). */
  cli(port: number, ...args: string[]): Promise<string>;
  /** The port of the master that serves `key` right now. */
  masterOf(key: string): Promise<number>;
  /** Ports of the nodes that are masters right now, as a surviving node sees it. */
  masters(): Promise<number[]>;
  /** Resolves once every live node reports cluster_state:ok and every slot has a live master. */
  waitUntilHealthy(timeoutMs?: number): Promise<void>;
  /** Kills every node and removes its files. */
  stop(): Promise<void>;
}

/**
 * Starts `masters * (1 + replicas)` nodes with `--cluster-enabled yes` on free ports and joins
 * them with `redis-cli --cluster create` (masters first; the replicas are assigned by redis-cli).
 */
export async function startRedisCluster({
  masters = 3,
  replicas = 1,
}: { masters?: number; replicas?: number } = {}): Promise<TestRedisCluster> {
  const dir = mkdtempSync(path.join(tmpdir(), 'session-auth-redis-cluster-'));
  const nodes: TestRedisServer[] = [];
  const stop = async (): Promise<void> => {
    await Promise.all(nodes.map((node) => node.kill()));
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    nodes.push(
      ...(await Promise.all(
        Array.from({ length: masters * (1 + replicas) }, () =>
          startRedisServer({
            args: (port) => [
              ...['--cluster-enabled', 'yes', '--dir', dir],
              ...['--cluster-config-file', `nodes-${port}.conf`],
              ...['--cluster-node-timeout', String(CLUSTER_NODE_TIMEOUT_MS)],
              // A replica takes over however long it was cut off (the test kills masters).
              ...['--cluster-replica-validity-factor', '0'],
            ],
          }),
        ),
      )),
    );
    const cli = async (port: number, ...args: string[]): Promise<string> =>
      (await run('redis-cli', ['-h', '127.0.0.1', '-p', String(port), ...args])).stdout.trim();
    await run('redis-cli', [
      '--cluster',
      'create',
      ...nodes.map((node) => `127.0.0.1:${node.port}`),
      '--cluster-replicas',
      String(replicas),
      '--cluster-yes',
    ]);
    const live = () => nodes.filter((node) => node.isRunning());
    /** CLUSTER SLOTS of a live node: [[from, to, masterPort], ...]. */
    const slots = async (): Promise<[number, number, number][]> => {
      const raw = await cli(live()[0].port, '--json', 'CLUSTER', 'SLOTS');
      return (JSON.parse(raw) as [number, number, [string, number]][]).map(([from, to, master]) => [
        from,
        to,
        Number(master[1]),
      ]);
    };
    const cluster: TestRedisCluster = {
      nodes,
      seeds: nodes.map((node) => `127.0.0.1:${node.port}`).join(','),
      cli,
      async masterOf(key) {
        const slot = Number(await cli(live()[0].port, 'CLUSTER', 'KEYSLOT', key));
        const range = (await slots()).find(([from, to]) => slot >= from && slot <= to);
        if (!range) throw new Error(`no master serves slot ${slot}`);
        return range[2];
      },
      async masters() {
        return [...new Set((await slots()).map(([, , port]) => port))].sort();
      },
      async waitUntilHealthy(timeoutMs = 20_000) {
        const running = live().map((node) => node.port);
        await eventually(
          async () => {
            for (const port of running) {
              const info = await cli(port, 'CLUSTER', 'INFO');
              if (!info.includes('cluster_state:ok')) throw new Error(`${port}: ${info}`);
            }
            const covered = (await slots()).filter(([, , port]) => running.includes(port));
            const count = covered.reduce((sum, [from, to]) => sum + to - from + 1, 0);
            if (count !== 16384) throw new Error(`live masters serve ${count} of 16384 slots`);
          },
          { timeoutMs, intervalMs: 100 },
        );
      },
      stop,
    };
    await cluster.waitUntilHealthy();
    return cluster;
  } catch (error) {
    await stop();
    throw error;
  }
}
