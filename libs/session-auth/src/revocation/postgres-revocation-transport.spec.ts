import type { DirectClient } from '../persistence/direct-connection.js';
import { ANNOUNCE_CHANNEL, PostgresRevocationTransport } from './postgres-revocation-transport.js';
import { RevocationPeer } from './revocation-peer.js';

/** A listening connection that records its queries and answers the presence query with `present`. */
function fakeClient(present: string[] = []) {
  const queries: { sql: string; params?: unknown[] }[] = [];
  const client = {
    query: async (sql: string, params?: unknown[]) => {
      queries.push({ sql, params });
      return { rows: [{ present }] };
    },
  } as unknown as DirectClient;
  return { client, queries };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('PostgresRevocationTransport', () => {
  it('is ready only while the feed has a listening connection attached', () => {
    const transport = new PostgresRevocationTransport(new RevocationPeer());
    expect(transport.isReady()).toBe(false);

    transport.attach(fakeClient().client);
    expect(transport.isReady()).toBe(true);

    transport.attach(undefined);
    expect(transport.isReady()).toBe(false);
  });

  it('names its presence and channels after the instance id', () => {
    const peer = new RevocationPeer();
    const transport = new PostgresRevocationTransport(peer);

    expect(transport.applicationName).toBe(`session-auth revocations ${peer.instanceId}`);
    expect(transport.applicationName.length).toBeLessThan(64); // NAMEDATALEN
    expect(transport.channels).toEqual([
      ANNOUNCE_CHANNEL,
      `session_auth_revocation_ack_${peer.instanceId}`,
    ]);
  });

  it('announces and reports every present instance but itself', async () => {
    const peer = new RevocationPeer();
    const transport = new PostgresRevocationTransport(peer);
    const { client, queries } = fakeClient(['b', peer.instanceId, 'c']);
    transport.attach(client);

    await expect(transport.announce('r1')).resolves.toEqual(['b', 'c']);
    expect(queries[0].params?.slice(0, 2)).toEqual([ANNOUNCE_CHANNEL, `r1 ${peer.instanceId}`]);
  });

  it('acknowledges an announcement only after the revocations received before it are applied', async () => {
    const transport = new PostgresRevocationTransport(new RevocationPeer());
    const { client, queries } = fakeClient();
    transport.attach(client);
    let apply!: () => void;
    const applied = new Promise<void>((resolve) => (apply = resolve));

    transport.received(ANNOUNCE_CHANNEL, 'r1 origin', () => applied);
    await tick();
    expect(queries).toEqual([]);
    apply();
    await tick();

    expect(queries).toHaveLength(1);
    expect(queries[0].params).toEqual([
      'session_auth_revocation_ack_origin',
      expect.stringMatching(/^r1 [0-9a-f]{32}$/),
    ]);
  });

  it('does not answer its own announcements; records acks on its ack channel', async () => {
    const peer = new RevocationPeer();
    const transport = new PostgresRevocationTransport(peer);
    const { client, queries } = fakeClient();
    transport.attach(client);
    const acks = peer.acks.open('r1');

    transport.received(ANNOUNCE_CHANNEL, `r1 ${peer.instanceId}`, async () => undefined);
    transport.received(transport.channels[1], 'r1 b', async () => undefined);
    await tick();

    expect(queries).toEqual([]);
    await expect(acks.wait(['b'], 0)).resolves.toEqual([]);
  });
});
