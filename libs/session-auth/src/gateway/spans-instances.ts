import { EventEmitter } from 'node:events';

/**
 * Whether a socket.io adapter reaches other instances (the Redis adapter does). The in-memory
 * adapter's `serverSideEmit` only warns; it is the class right above EventEmitter, so an adapter
 * whose `serverSideEmit` comes from anywhere lower overrides it with a real channel.
 */
export function spansInstances(adapter: object): boolean {
  let owner: object | null = Object.getPrototypeOf(adapter) as object | null;
  while (owner && !Object.prototype.hasOwnProperty.call(owner, 'serverSideEmit'))
    owner = Object.getPrototypeOf(owner) as object | null;
  return !!owner && Object.getPrototypeOf(owner) !== EventEmitter.prototype;
}
