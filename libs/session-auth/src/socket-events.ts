/**
 * `nestjs-session-auth/socket-events`: the socket contract of the `/sessions` namespace for
 * browsers and other clients. Types and one string constant; nothing from Node, Nest or TypeORM.
 */
export * from './gateway/session-socket-events.js';
