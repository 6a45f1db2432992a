// Reads a V8 .cpuprofile (node --cpu-prof) and splits the samples of a time window into the rows
// of lib/cpu-categories.mjs. V8 stamps samples in microseconds of CLOCK_MONOTONIC on Linux, the
// clock of process.hrtime(), so a window measured in the runner selects samples of the instance
// (checked: the window must lie inside the profile's startTime..endTime).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ownerOf, ROWS, whereOf } from './cpu-categories.mjs';

/** Now on the profiles' clock: microseconds of CLOCK_MONOTONIC. */
export function monotonicUs() {
  return Number(process.hrtime.bigint() / 1000n);
}

export function readProfile(file) {
  return JSON.parse(readFileSync(file, 'utf8'));
}

/**
 * Sample time per row inside [fromUs, toUs): `{ busyUs, idleUs, samples, rows: {row: us},
 * frames: [{ row, where, fn, at, us }] }`. Each sample counts the time until the next one.
 */
export function attribute(profile, { fromUs, toUs }, repoRoot) {
  if (profile.startTime > fromUs || profile.endTime < toUs) {
    throw new Error(
      `the load window ${fromUs}..${toUs} us is not inside the profile's ${profile.startTime}..${profile.endTime} us ` +
        '(the profile and process.hrtime() should share CLOCK_MONOTONIC)',
    );
  }
  const owners = ownersByNode(profile);
  const rows = Object.fromEntries(ROWS.map(([id]) => [id, 0]));
  const frames = new Map();
  let busyUs = 0;
  let idleUs = 0;
  let samples = 0;
  let t = profile.startTime;
  const { samples: ids, timeDeltas } = profile;
  for (let i = 0; i < ids.length; i++) {
    t += timeDeltas[i];
    if (t < fromUs || t >= toUs) continue;
    const us = i + 1 < ids.length ? timeDeltas[i + 1] : 0;
    const owner = owners.get(ids[i]);
    if (owner === 'idle') {
      idleUs += us;
      continue;
    }
    samples++;
    busyUs += us;
    rows[owner.row] += us;
    const key = `${owner.row}\u0000${owner.where}\u0000${owner.fn}\u0000${owner.at}`;
    frames.set(key, (frames.get(key) ?? 0) + us);
  }
  return {
    busyUs,
    idleUs,
    samples,
    rows,
    frames: [...frames.entries()]
      .map(([key, us]) => {
        const [row, where, fn, at] = key.split('\u0000');
        return { row, where, fn, at: shorten(at, repoRoot), us };
      })
      .sort((a, b) => b.us - a.us),
  };
}

/** For every node: 'idle', or the owning frame found walking from it towards the root. */
function ownersByNode(profile) {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map();
  for (const node of profile.nodes)
    for (const child of node.children ?? []) parent.set(child, node.id);
  const owners = new Map();
  for (const node of profile.nodes) {
    if (node.callFrame.functionName === '(idle)') {
      owners.set(node.id, 'idle');
      continue;
    }
    let owner;
    let weak;
    for (let id = node.id; id !== undefined && !owner; id = parent.get(id)) {
      const frame = byId.get(id).callFrame;
      const found = ownerOf(frame);
      if (!found) continue;
      const named = { ...found, fn: frame.functionName || '(anonymous)', at: location(frame) };
      if (!found.weak) owner = named;
      else weak ??= named;
    }
    owner ??= weak;
    owners.set(
      node.id,
      owner ?? {
        row: 'other',
        where: whereOf(node.callFrame),
        fn: node.callFrame.functionName || '(anonymous)',
        at: location(node.callFrame),
      },
    );
  }
  return owners;
}

function location(frame) {
  return frame.url ? `${frame.url}:${frame.lineNumber + 1}` : '';
}

/** Repository-relative, and node_modules/<pkg>/... without the noise in front. */
function shorten(at, repoRoot) {
  const file = at.replace(/^file:\/\//, '');
  const modules = file.lastIndexOf('/node_modules/');
  if (modules >= 0) return file.slice(modules + '/node_modules/'.length);
  return file.startsWith(repoRoot) ? path.relative(repoRoot, file) : file;
}
