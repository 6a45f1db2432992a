import { jest } from '@jest/globals';
import { resolveSessionAuthOptions } from '../config/resolve-options.js';
import { SessionAuthError } from '../errors/session-auth.error.js';
import type { HttpRequestLike, HttpResponseLike } from '../http/http-types.js';
import { FakeSessionCache } from '../test-fakes/fake-session-cache.js';
import { ProofSigner } from '../test-fakes/proof-signer.js';
import { sessionEntity } from '../test-fakes/session-entity.js';
import { readDeviceJwk, type DeviceKey } from './device-jwk.js';
import { DbscResponses } from './dbsc-responses.js';
import { DbscService } from './dbsc.service.js';

const options = resolveSessionAuthOptions({ jwtSecret: 's'.repeat(32) });
const device = new ProofSigner();
const key = readDeviceJwk(device.jwk) as DeviceKey;
const bound = sessionEntity({
  keyThumbprint: key.thumbprint,
  keyAlg: 'ES256',
  keySource: 'dbsc',
  keyJwk: JSON.stringify(key.jwk),
});

/** A DbscService over a rotation service that knows one session (or fails as told). */
function service(sessionOf: () => Promise<unknown> = () => Promise.resolve(bound)) {
  const refuseAsTheft = jest.fn(() => Promise.reject(new SessionAuthError('REFRESH_TOKEN_REUSED')));
  const rotation = { sessionOf, refuseAsTheft };
  const dbsc = new DbscService(
    new DbscResponses(options, 'auth'),
    new FakeSessionCache(),
    undefined as never,
    rotation as never,
  );
  return { dbsc, refuseAsTheft };
}

function response() {
  const headers: Record<string, unknown> = {};
  const res: HttpResponseLike = {
    setHeader: (name, value) => (headers[name.toLowerCase()] = value),
    getHeader: (name) => headers[name.toLowerCase()],
  };
  return { res, headers };
}

function request(extra: Record<string, string> = {}): HttpRequestLike {
  return { headers: { 'sec-secure-session-id': `"${bound.id}"`, ...extra } };
}

const code = (p: Promise<unknown>) =>
  p.then(
    () => 'answered',
    (e: { code?: string }) => e.code,
  );

/** The challenge of a 403 answer. */
async function challenge(dbsc: DbscService): Promise<string> {
  const { res, headers } = response();
  expect(await code(dbsc.refresh(request(), res, ['token'], {}))).toBe('DBSC_PROOF_REQUIRED');
  const match = /^"([\w-]+)";id="([^"]+)"$/.exec(String(headers['secure-session-challenge']));
  expect(match?.[2]).toBe(bound.id);
  return match![1];
}

const proof = (jti: string, signer = device) =>
  `"${signer.jws({ alg: 'ES256', typ: 'dbsc+jwt' }, { jti })}"`;

describe('DbscService.refresh', () => {
  it('asks for a proof (403 + challenge), then takes the signed retry and sets the credential', async () => {
    const { dbsc } = service();
    const jti = await challenge(dbsc);
    const { res, headers } = response();
    const config = await dbsc.refresh(
      request({ 'secure-session-response': proof(jti) }),
      res,
      ['token'],
      {},
    );
    expect(config).toMatchObject({
      session_identifier: bound.id,
      refresh_url: '/auth/dbsc/refresh',
    });
    expect(String(headers['set-cookie'])).toMatch(/^refresh_token-dbsc=\d+\.[\w-]{43}\.[\w-]{22};/);
  });

  it('asks again for a replayed proof, or one answering a registration challenge', async () => {
    const { dbsc } = service();
    const jti = await challenge(dbsc);
    const signed = request({ 'secure-session-response': proof(jti) });
    await dbsc.refresh(signed, response().res, ['token'], {});
    expect(await code(dbsc.refresh(signed, response().res, ['token'], {}))).toBe(
      'DBSC_PROOF_REQUIRED',
    );

    const { res, headers } = response();
    dbsc.responses.offerRegistration(res, { id: bound.id, deviceBound: false });
    const registration = /challenge="([\w-]+)"/.exec(
      String(headers['secure-session-registration']),
    )![1];
    const crossed = request({ 'secure-session-response': proof(registration) });
    expect(await code(dbsc.refresh(crossed, response().res, ['token'], {}))).toBe(
      'DBSC_PROOF_REQUIRED',
    );
  });

  it('ends the session as stolen when the proof is signed by another key', async () => {
    const { dbsc, refuseAsTheft } = service();
    const jti = await challenge(dbsc);
    const forged = request({ 'secure-session-response': proof(jti, new ProofSigner()) });
    expect(await code(dbsc.refresh(forged, response().res, ['token'], {}))).toBe(
      'REFRESH_TOKEN_REUSED',
    );
    expect(refuseAsTheft).toHaveBeenCalledWith(bound, {});
  });

  it('tells the browser to stop for a cookie that names no session, or another session', async () => {
    const gone = service(() => Promise.reject(new SessionAuthError('REFRESH_TOKEN_INVALID')));
    const { res, headers } = response();
    expect(await gone.dbsc.refresh(request(), res, ['token'], {})).toEqual({ continue: false });
    expect(String(headers['set-cookie'])).toMatch(
      /^refresh_token-dbsc=;.*Expires=Thu, 01 Jan 1970/,
    );

    const other = service(() => Promise.resolve(sessionEntity({ ...bound, id: 'another' })));
    expect(await other.dbsc.refresh(request(), response().res, ['token'], {})).toEqual({
      continue: false,
    });
    const unbound = service(() => Promise.resolve(sessionEntity()));
    expect(await unbound.dbsc.refresh(request(), response().res, ['token'], {})).toEqual({
      continue: false,
    });
  });

  it('lets a database failure through (the browser retries later instead of ending its session)', async () => {
    const down = service(() => Promise.reject(new SessionAuthError('DATABASE_UNAVAILABLE')));
    expect(await code(down.dbsc.refresh(request(), response().res, ['token'], {}))).toBe(
      'DATABASE_UNAVAILABLE',
    );
  });

  it('needs Sec-Secure-Session-Id (DBSC_REFRESH_INVALID)', async () => {
    const { dbsc } = service();
    expect(await code(dbsc.refresh({ headers: {} }, response().res, ['token'], {}))).toBe(
      'DBSC_REFRESH_INVALID',
    );
  });
});

describe('DbscService.offerRegistration', () => {
  it('offers ES256 and a challenge to unbound sessions only, and nothing with binding off', () => {
    const { dbsc } = service();
    const { res, headers } = response();
    dbsc.responses.offerRegistration(res, { id: bound.id, deviceBound: true });
    expect(headers['secure-session-registration']).toBeUndefined();
    dbsc.responses.offerRegistration(res, { id: bound.id, deviceBound: false });
    expect(headers['secure-session-registration']).toMatch(
      /^\(ES256\);path="\/auth\/dbsc\/registration";challenge="[\w-]{39}"$/,
    );

    const off = resolveSessionAuthOptions({ jwtSecret: 's'.repeat(32), deviceBinding: 'off' });
    const quiet = new DbscResponses(off, 'auth');
    const other = response();
    quiet.offerRegistration(other.res, { id: bound.id, deviceBound: false });
    expect(other.headers).toEqual({});
  });
});
