import { jest } from '@jest/globals';
import { testPeer } from '../test-fakes/revocation-peer.js';
import type { DirectClient } from '../persistence/direct-connection.js';
import {
  ANNOUNCE_CHANNEL,
  PostgresRevocationTransport,
  RECENTLY_LEFT_MS,
} from './postgres-revocation-transport.js';

/** A listening connection that records its queries and answers presence with `present[i]` in turn. */
function fakeClient(...present: string[][]) {
  const queries: { sql: string; params?: unknown[] }[] = [];
  let turn = 0;
  const client = {
    query: async (sql: string, params?: unknown[]) => {
      queries.push({ sql, params });
      return { rows: [{ present: present[Math.min(turn++, present.length - 1)] ?? [] }] };
    },
  } as unknown as DirectClient;
  return { client, queries };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('PostgresRevocationTransport', () => {
  afterEach(() => jest.useRealTimers());

  it('is ready only while the feed has a listening connection attached', () => {
    const transport = new PostgresRevocationTransport(testPeer());
    expect(transport.isReady()).toBe(false);

    transport.attach(fakeClient().client);
    expect(transport.isReady()).toBe(true);

    transport.attach(undefined);
    expect(transport.isReady()).toBe(false);
  });

  it('names its presence and channels after the instance id', () => {
    const peer = testPeer();
    const transport = new PostgresRevocationTransport(peer);

    expect(transport.applicationName).toBe(`session-auth revocations ${peer.instanceId}`);
    expect(transport.applicationName.length).toBeLessThan(64); // NAMEDATALEN
    expect(transport.channels).toEqual([
      ANNOUNCE_CHANNEL,
      `session_auth_revocation_ack_${peer.instanceId}`,
    ]);
  });

  it('announces (signed) and reports every present instance of its own role but itself', async () => {
    const peer = testPeer();
    const transport = new PostgresRevocationTransport(peer);
    const { client, queries } = fakeClient(['b', peer.instanceId, 'c']);
    transport.attach(client);

    await expect(transport.announce('r1')).resolves.toEqual(['b', 'c']);
    expect(queries[0].sql).toContain('usename = current_user');
    const [channel, message] = queries[0].params!.slice(3) as string[];
    expect(channel).toBe(ANNOUNCE_CHANNEL);
    expect(peer.signer.open('announce', message)).toBe(`r1 ${peer.instanceId}`);
  });

  it(`still expects an instance that left presence within ${RECENTLY_LEFT_MS} ms, not after`, async () => {
    jest.useFakeTimers({ doNotFake: ['setImmediate'] });
    const transport = new PostgresRevocationTransport(testPeer());
    transport.attach(fakeClient(['b', 'c'], ['c'], ['c'], ['c']).client);
    await transport.observePresence();

    // b stopped listening (a cut connection): it cannot have heard, so it is still waited for.
    await expect(transport.announce('r1')).resolves.toEqual(['b', 'c']);
    jest.advanceTimersByTime(RECENTLY_LEFT_MS + 1);
    await transport.observePresence();
    await expect(transport.announce('r2')).resolves.toEqual(['c']);
  });

  it('acknowledges an announcement, signed, on the ack channel of the announcer', async () => {
    const peer = testPeer();
    const transport = new PostgresRevocationTransport(peer);
    const { client, queries } = fakeClient();
    transport.attach(client);

    transport.received(ANNOUNCE_CHANNEL, peer.signer.sign('announce', 'r1 origin'));
    await tick();

    expect(queries).toHaveLength(1);
    const [channel, ack] = queries[0].params as string[];
    expect(channel).toBe('session_auth_revocation_ack_origin');
    expect(peer.signer.open('ack', ack)).toBe(`r1 ${peer.instanceId}`);
  });

  it('does not answer its own announcements; records signed acks on its ack channel', async () => {
    const peer = testPeer();
    const transport = new PostgresRevocationTransport(peer);
    const { client, queries } = fakeClient();
    transport.attach(client);
    const acks = peer.acks.open('r1');

    const own = peer.signer.sign('announce', `r1 ${peer.instanceId}`);
    transport.received(ANNOUNCE_CHANNEL, own);
    transport.received(transport.channels[1], peer.signer.sign('ack', 'r1 b'));
    await tick();

    expect(queries).toEqual([]);
    await expect(acks.wait(['b'], 0)).resolves.toEqual([]);
  });

  it('ignores announcements and acks that are not signed with the key (any database role can NOTIFY)', async () => {
    const peer = testPeer();
    const transport = new PostgresRevocationTransport(peer);
    const { client, queries } = fakeClient();
    transport.attach(client);
    const acks = peer.acks.open('r1');

    transport.received(ANNOUNCE_CHANNEL, 'r1 origin');
    transport.received(transport.channels[1], 'r1 b');
    transport.received(transport.channels[1], peer.signer.sign('announce', 'r1 b'));
    await tick();

    expect(queries).toEqual([]);
    await expect(acks.wait(['b'], 0)).resolves.toEqual(['b']);
  });
});
