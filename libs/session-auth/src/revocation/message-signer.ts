import { createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';

const KEY_INFO = 'session-auth/revocation-messages/v1';
const MAC_CHARS = 43; // 32 bytes, base64url

/** What a signed message is: the MAC covers the kind, so an announcement never passes for an ack. */
export type MessageKind = 'announce' | 'ack';

/**
 * Signs and checks the announcements and acknowledgements that instances exchange over PostgreSQL
 * NOTIFY and Redis pub/sub. Anyone who can connect to the database can LISTEN and NOTIFY on any
 * channel, so a message counts only with an HMAC-SHA256 under a key that every instance derives
 * (HKDF) from the configured secrets, and no database role holds. The first key signs; every key
 * verifies (a secret rotation keeps instances on both sides of it talking).
 */
export class MessageSigner {
  private readonly keys: Buffer[];

  /** @param secrets the refresh-token MAC keys (themselves HKDF outputs of the configured secrets). */
  constructor(secrets: readonly Buffer[]) {
    this.keys = secrets.map((secret) =>
      Buffer.from(hkdfSync('sha256', secret, Buffer.alloc(0), KEY_INFO, 32)),
    );
  }

  /** `message` followed by a space and its MAC. */
  sign(kind: MessageKind, message: string): string {
    return `${message} ${mac(this.keys[0], kind, message)}`;
  }

  /** The message a signed string carries, or `undefined` when no key signed it. */
  open(kind: MessageKind, signed: string): string | undefined {
    const at = signed.lastIndexOf(' ');
    if (at < 0 || signed.length - at - 1 !== MAC_CHARS) return undefined;
    const message = signed.slice(0, at);
    const presented = Buffer.from(signed.slice(at + 1));
    const valid = this.keys.some((key) =>
      timingSafeEqual(Buffer.from(mac(key, kind, message)), presented),
    );
    return valid ? message : undefined;
  }
}

function mac(key: Buffer, kind: MessageKind, message: string): string {
  return createHmac('sha256', key).update(`${kind}\n${message}`).digest('base64url');
}
