import { RevocationPeer } from '../revocation/revocation-peer.js';

/** A RevocationPeer whose messages are signed under a fixed test key (every peer made here shares it). */
export function testPeer(): RevocationPeer {
  return new RevocationPeer({ refreshTokenKeys: [{ id: 1, key: Buffer.alloc(32, 1) }] });
}
