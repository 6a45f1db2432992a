import { Injectable } from '@nestjs/common';

/**
 * Set when SIGTERM arrives: readiness turns 503 so a load balancer stops sending traffic, and
 * responses carry `Connection: close` so keep-alive clients reconnect elsewhere instead of being reset.
 */
@Injectable()
export class ShutdownState {
  draining = false;
}
