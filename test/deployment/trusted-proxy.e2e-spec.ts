import { readFileSync } from 'node:fs';
import { request } from 'node:http';
import { isIP } from 'node:net';
import path from 'node:path';
import { DEFAULT_PASSWORD, uniqueEmail } from '../support/auth.js';
import { type DemoProcess, REPO_ROOT, startDemo, stopDemos } from '../support/demo-process.js';

// Only the load balancer may say who the client is. With TRUST_PROXY=uniquelocal every container
// on the compose network could set its own IP (and so its rate-limit bucket) in X-Forwarded-For.

const compose = readFileSync(path.join(REPO_ROOT, 'docker-compose.yml'), 'utf8');
const nginx = readFileSync(path.join(REPO_ROOT, 'deploy/nginx.conf'), 'utf8');

/** The fixed addresses of the compose file's nginx services (the balancers). */
function balancerAddresses(): string[] {
  const services = compose.slice(
    compose.indexOf('\nservices:'),
    compose.search(/\n(volumes|networks):/),
  );
  const blocks = services.split(/\n(?= {2}[\w-]+:\s*(?:&\S+)?\n)/);
  return blocks
    .filter((block) => /\n {4}image: nginx\b/.test(block))
    .flatMap((block) => [...block.matchAll(/ipv4_address:\s*([\d.]+)/g)].map((m) => m[1]));
}

describe('the shipped compose file', () => {
  it('trusts exactly a load balancer: every TRUST_PROXY is the fixed address of an nginx service', () => {
    const trusted = [...compose.matchAll(/^\s+TRUST_PROXY:\s*(\S+)\s*$/gm)].map((m) => m[1]);
    const balancers = balancerAddresses();

    expect(trusted.length).toBeGreaterThan(0);
    expect(balancers.length).toBeGreaterThan(0);
    for (const value of trusted) {
      expect(isIP(value)).toBe(4);
      expect(balancers).toContain(value);
    }
  });

  it('keeps other containers off a balancer’s address (dynamic addresses come from ip_range)', () => {
    const ranges = [...compose.matchAll(/ip_range:\s*(\d+\.\d+\.\d+)\.(\d+)\/25/g)].map(
      ([, prefix, start]) => ({ prefix, start: Number(start) }),
    );

    for (const address of balancerAddresses()) {
      const range = ranges.find((r) => address.startsWith(`${r.prefix}.`));
      expect({ address, range }).toEqual({ address, range: expect.anything() });
      const last = Number(address.split('.')[3]);
      expect(last < range!.start || last >= range!.start + 128).toBe(true);
    }
  });

  it('nginx replaces X-Forwarded-For with the peer address instead of extending the client’s', () => {
    const headers = [...nginx.matchAll(/proxy_set_header X-Forwarded-For (\S+);/g)].map(
      (m) => m[1],
    );
    expect(headers.length).toBeGreaterThan(0);
    expect(headers.every((value) => value === '$remote_addr')).toBe(true);
  });

  it('nginx does not route /metrics or the OpenAPI document, and no instance turns METRICS on (issue 19, L6)', () => {
    const locations = [...nginx.matchAll(/location\s+(=|\^~)?\s*(\S+)\s*\{([^}]*)\}/g)].map(
      ([, modifier, prefix, body]) => ({ modifier, prefix, body }),
    );
    /** The block nginx picks: an exact match, else the longest prefix (no regex locations here). */
    const routed = (uri: string) => {
      const exact = locations.find((l) => l.modifier === '=' && l.prefix === uri);
      const prefixes = locations.filter((l) => l.modifier !== '=' && uri.startsWith(l.prefix));
      const chosen = exact ?? prefixes.sort((a, b) => b.prefix.length - a.prefix.length)[0];
      return /return 404;/.test(chosen.body) ? 'refused' : 'proxied';
    };

    expect(
      Object.fromEntries(
        ['/metrics', '/docs', '/docs/', '/docs-json', '/auth/refresh', '/me'].map((uri) => [
          uri,
          routed(uri),
        ]),
      ),
    ).toEqual({
      '/metrics': 'refused',
      '/docs': 'refused',
      '/docs/': 'refused',
      '/docs-json': 'refused',
      '/auth/refresh': 'proxied',
      '/me': 'proxied',
    });
    expect(compose).not.toMatch(/METRICS:\s*'?(true|1|yes)/i);
  });
});

describe('TRUST_PROXY with one address', () => {
  const BALANCER = '127.0.0.2';
  const OTHER_PEER = '127.0.0.3';
  let demo: DemoProcess;

  beforeAll(async () => {
    demo = await startDemo({ name: 'trusted-proxy', env: { TRUST_PROXY: BALANCER } });
  });

  afterAll(async () => {
    await stopDemos(demo);
  });

  /** Registers from `localAddress`, sending X-Forwarded-For; returns the IP the session recorded. */
  function registerFrom(localAddress: string, forwardedFor: string): Promise<string> {
    const body = JSON.stringify({ email: uniqueEmail('proxy'), password: DEFAULT_PASSWORD });
    return new Promise((resolve, reject) => {
      const req = request(
        `${demo.baseUrl}/auth/register`,
        {
          method: 'POST',
          localAddress,
          headers: { 'content-type': 'application/json', 'x-forwarded-for': forwardedFor },
        },
        (res) => {
          let text = '';
          res.on('data', (chunk: Buffer) => (text += chunk.toString()));
          res.on('end', () => {
            if (res.statusCode !== 201) reject(new Error(`${res.statusCode} ${text}`));
            else resolve(JSON.parse(text).session.ip);
          });
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  }

  it('takes the client address from X-Forwarded-For when the balancer sends it', async () => {
    expect(await registerFrom(BALANCER, '203.0.113.7')).toBe('203.0.113.7');
  });

  it('ignores X-Forwarded-For from any other peer, private or not', async () => {
    expect(await registerFrom(OTHER_PEER, '203.0.113.7')).toBe(OTHER_PEER);
  });
});
