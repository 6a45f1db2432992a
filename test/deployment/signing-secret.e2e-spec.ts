import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { register } from '../support/auth.js';
import {
  type DemoEnv,
  REPO_ROOT,
  defaultDemoEnv,
  startDemo,
  stopDemos,
} from '../support/demo-process.js';
import { trackChildProcess } from '../support/global-setup.js';

// The development secret is in the source, so anyone could forge access tokens for a deployment
// that signs with it. Only `npm start` (NODE_ENV=development) may; every other start refuses,
// naming the variable, and the shipped compose file never carries a constant.

const START_TIMEOUT_MS = 20_000;
const LISTENING = /listening on http:\/\/127\.0\.0\.1:\d+/;

/** Starts the demo expecting a refusal; returns what it printed. Stops it if it started anyway. */
async function expectRefusal(name: string, env: DemoEnv): Promise<string> {
  let started;
  try {
    started = await startDemo({ name, env });
  } catch (error) {
    const message = (error as Error).message;
    expect(message).toContain('it exited with code 1');
    return message;
  }
  await stopDemos(started);
  throw new Error(`${name} started with ${JSON.stringify(env)}; it must refuse`);
}

it('NODE_ENV=production without JWT_SECRET refuses to start and names the variable', async () => {
  const output = await expectRefusal('secret-prod-missing', {
    NODE_ENV: 'production',
    JWT_SECRET: undefined,
  });

  expect(output).toMatch(
    /JWT_SECRET is not set: NODE_ENV=production needs a secret of at least 32/,
  );
  expect(output).not.toMatch(LISTENING);
});

it('a start outside npm start (no NODE_ENV) without JWT_SECRET refuses too: the fallback is opt-in', async () => {
  const output = await expectRefusal('secret-plain-missing', {
    NODE_ENV: undefined,
    JWT_SECRET: undefined,
  });

  expect(output).toContain('JWT_SECRET is not set');
});

it('a JWT_SECRET shorter than 32 bytes refuses to start, naming the variable and the length', async () => {
  const output = await expectRefusal('secret-short', {
    NODE_ENV: 'production',
    JWT_SECRET: 'x'.repeat(31),
  });

  expect(output).toContain('JWT_SECRET must hold at least 32 bytes (got 31)');
});

it('JWT_SECRET_FILE (a generated or Docker secret) is read and checked like JWT_SECRET', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'session-auth-secret-'));
  try {
    const short = path.join(dir, 'short');
    writeFileSync(short, 'too short\n');
    expect(
      await expectRefusal('secret-file-short', {
        NODE_ENV: 'production',
        JWT_SECRET: undefined,
        JWT_SECRET_FILE: short,
      }),
    ).toContain('JWT_SECRET_FILE must hold at least 32 bytes');

    const strong = path.join(dir, 'strong');
    writeFileSync(strong, `${randomBytes(48).toString('base64')}\n`);
    const demo = await startDemo({
      name: 'secret-file',
      env: { NODE_ENV: 'production', JWT_SECRET: undefined, JWT_SECRET_FILE: strong },
    });
    try {
      await register(demo.baseUrl);
      expect(demo.output()).not.toContain('development secret');
    } finally {
      await stopDemos(demo);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

it('npm run start:prod without JWT_SECRET refuses to start', async () => {
  const env = { ...defaultDemoEnv('secret-start-prod'), JWT_SECRET: undefined };
  const child = spawn('npm', ['run', '--silent', 'start:prod'], {
    cwd: REPO_ROOT,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    // Its own process group, so a start that should not have happened is stopped with its children.
    detached: true,
  });
  trackChildProcess(child);
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const outcome = await new Promise<string>((resolve) => {
    const timer = setTimeout(() => resolve('timeout'), START_TIMEOUT_MS);
    child.stdout!.on('data', () => {
      if (LISTENING.test(output)) resolve('listening');
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve(`exit ${code}`);
    });
  });
  if (outcome !== 'exit 1') process.kill(-child.pid!, 'SIGKILL');

  expect({ outcome, output }).toEqual({
    outcome: 'exit 1',
    output: expect.stringContaining('JWT_SECRET is not set: NODE_ENV=production'),
  });
});

it('npm start (NODE_ENV=development) keeps its development secret, with a warning', async () => {
  const demo = await startDemo({
    name: 'secret-development',
    env: { NODE_ENV: 'development', JWT_SECRET: undefined },
  });
  try {
    await register(demo.baseUrl);
    expect(demo.output()).toContain('JWT_SECRET is not set: signing with the public development');
  } finally {
    await stopDemos(demo);
  }
});

describe('the shipped deployment files', () => {
  const compose = readFileSync(path.join(REPO_ROOT, 'docker-compose.yml'), 'utf8');

  it('docker-compose.yml carries no signing secret: JWT_SECRET is the operator’s or generated per deployment', () => {
    const values = [...compose.matchAll(/^\s+JWT_SECRET:\s*(.+)$/gm)].map((m) => m[1].trim());
    expect(values.length).toBeGreaterThan(0);
    for (const value of values) expect(value).toMatch(/^\$\{JWT_SECRET(:-|:\?)[^}]*\}$/);
    // The fallback is a file that a one-shot service fills from /dev/urandom on the first `up`.
    expect(compose).toMatch(/JWT_SECRET_FILE:\s*\/run\/session-auth\/jwt-secret/);
    expect(compose).toMatch(/head -c 48 \/dev\/urandom/);
  });

  it('the image runs with NODE_ENV=production, so it refuses to start without a secret', () => {
    const dockerfile = readFileSync(path.join(REPO_ROOT, 'Dockerfile'), 'utf8');
    expect(dockerfile).toMatch(/^ENV NODE_ENV=production\b/m);
  });
});
