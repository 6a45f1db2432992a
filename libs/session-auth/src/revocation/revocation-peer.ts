import { randomBytes } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { AckWaiter } from './ack-waiter.js';

/**
 * This instance as a party to revocations: the id under which it is present and acknowledges (32
 * hex characters, so it fits a PostgreSQL channel name and `application_name`), and the
 * acknowledgements it waits for. One per module instance, shared by both transports.
 */
@Injectable()
export class RevocationPeer {
  readonly instanceId = randomBytes(16).toString('hex');
  readonly acks = new AckWaiter();
}
