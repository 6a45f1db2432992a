import { type DynamicModule, Module } from '@nestjs/common';
import { SessionGateway } from './session.gateway.js';

/**
 * The socket.io gateway, in a module of its own so that `@nestjs/websockets`, socket.io and
 * `@nestjs/event-emitter` are loaded only when `gateway: true` (see session-auth.module-definition).
 */
@Module({ providers: [SessionGateway] })
export class SessionGatewayModule {}

export const sessionGatewayModule = (): DynamicModule => ({ module: SessionGatewayModule });
