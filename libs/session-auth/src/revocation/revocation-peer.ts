import { randomBytes } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { SESSION_AUTH_RESOLVED_OPTIONS } from '../session-auth.internal-tokens.js';
import type { ResolvedSessionAuthOptions } from '../config/session-auth.options.js';
import { AckWaiter } from './ack-waiter.js';
import { MessageSigner } from './message-signer.js';

/**
 * This instance as a party to revocations: the id under which it is present and acknowledges (32
 * hex characters, so it fits a PostgreSQL channel name and `application_name`), the
 * acknowledgements it waits for, and the key its messages are signed with. One per module
 * instance, shared by both transports.
 */
@Injectable()
export class RevocationPeer {
  readonly instanceId = randomBytes(16).toString('hex');
  readonly acks = new AckWaiter();
  readonly signer: MessageSigner;

  constructor(
    @Inject(SESSION_AUTH_RESOLVED_OPTIONS)
    options: Pick<ResolvedSessionAuthOptions, 'refreshTokenKeys'>,
  ) {
    this.signer = new MessageSigner(options.refreshTokenKeys.map((k) => k.key));
  }
}
