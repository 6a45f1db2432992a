// What the numbers were measured on: machine, versions, commit.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { REPO_ROOT } from './demo.mjs';

const PACKAGES = [
  '@nestjs/core',
  'typeorm',
  'ioredis',
  'socket.io',
  '@socket.io/redis-adapter',
  'pg',
  'bcrypt',
  'autocannon',
];

function packageVersion(name) {
  try {
    const file = path.join(REPO_ROOT, 'node_modules', name, 'package.json');
    return JSON.parse(readFileSync(file, 'utf8')).version;
  } catch {
    return 'not installed';
  }
}

function git(...args) {
  try {
    return execFileSync('git', args, { cwd: REPO_ROOT, encoding: 'utf8' }).trim();
  } catch {
    return undefined;
  }
}

function cpuModel() {
  try {
    const match = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'));
    return match?.[1].trim() ?? os.cpus()[0]?.model;
  } catch {
    return os.cpus()[0]?.model;
  }
}

/** 1-, 5- and 15-minute load averages: a busy machine makes every number here worse. */
export function loadAverage() {
  return os.loadavg().map((v) => Math.round(v * 100) / 100);
}

export function describeMachine() {
  const status = git('status', '--porcelain', '--untracked-files=no');
  return {
    date: new Date().toISOString(),
    cores: os.cpus().length,
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    cpu: cpuModel(),
    platform: `${os.type()} ${os.release()} ${os.arch()}`,
    node: process.version,
    packages: Object.fromEntries(PACKAGES.map((name) => [name, packageVersion(name)])),
    commit: git('rev-parse', '--short', 'HEAD') ?? 'unknown',
    // Tracked files changed since that commit: the numbers are for the working tree, not HEAD.
    uncommittedChanges: status ? status.split('\n').length : 0,
    loadAverageAtStart: loadAverage(),
  };
}

function cpuTimes() {
  const [, ...fields] = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/);
  const values = fields.map(Number);
  // user nice system idle iowait irq softirq steal: idle and iowait are "not busy".
  const idle = values[3] + (values[4] ?? 0);
  const total = values.slice(0, 8).reduce((sum, v) => sum + v, 0);
  return { idle, total };
}

/** Percentage of all cores busy over the next `ms` (while this run is idle: other people's work). */
export async function cpuBusyPercent(ms = 1000) {
  try {
    const a = cpuTimes();
    await sleep(ms);
    const b = cpuTimes();
    const total = b.total - a.total;
    return total > 0 ? Math.round((1 - (b.idle - a.idle) / total) * 100) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Waits (at most `maxSeconds`) until the machine is quiet: CPU busy below `threshold` percent in
 * a 1 s sample. Returns the last sample and how long it waited.
 */
export async function waitForQuiet(threshold, maxSeconds) {
  const started = Date.now();
  let busy = await cpuBusyPercent();
  while (busy !== undefined && busy >= threshold && Date.now() - started < maxSeconds * 1000) {
    busy = await cpuBusyPercent();
  }
  return { busy, waitedSeconds: Math.round((Date.now() - started) / 1000) };
}
