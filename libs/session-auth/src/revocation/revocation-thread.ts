// The revocation thread's entry (a worker thread started by RevocationThread): runs the instance's
// RevocationListener on a Redis connection of its own, so an announcement is acknowledged even
// while the main thread's event loop is busy. Dropped sessions reach the main thread through the
// shared DropRing, acks and state through messages.
import { type MessagePort, parentPort, workerData } from 'node:worker_threads';
import { Cluster, Redis } from 'ioredis';
import { closeRedis, connectRedis } from '../redis/redis-connection.js';
import { DropRing } from './drop-ring.js';
import { MessageSigner } from './message-signer.js';
import { type ListenerChannels, RevocationListener } from './revocation-listener.js';

export interface RevocationThreadData {
  readonly url: string;
  readonly channels: ListenerChannels;
  /** The keys that sign revocation messages (see MessageSigner). */
  readonly secrets: readonly Uint8Array[];
  /** A DropRing's buffer. */
  readonly drops: SharedArrayBuffer;
}

/** What the thread tells the main thread. */
export type ThreadReport =
  | { kind: 'ack'; requestId: string; from: string }
  | { kind: 'listening'; live: boolean }
  | { kind: 'left' };

/** What the main thread asks of it. */
export type ThreadCommand = 'leave' | 'close';

function run(port: MessagePort, data: RevocationThreadData): void {
  const client = connectRedis({ Redis, Cluster }, data.url);
  client.on('error', () => undefined); // the main thread's cache client reports outages
  const drops = new DropRing(data.drops);
  const report = (message: ThreadReport) => port.postMessage(message);
  const signer = new MessageSigner(data.secrets.map((secret) => Buffer.from(secret)));
  const listener = new RevocationListener(client, data.channels, signer, {
    drop: (sessionIds) => drops.push(sessionIds),
    ack: (requestId, from) => report({ kind: 'ack', requestId, from }),
    listening: (live) => report({ kind: 'listening', live }),
  });
  port.on('message', (command: ThreadCommand) => {
    if (command === 'leave') void listener.leave().then(() => report({ kind: 'left' }));
    if (command === 'close') {
      void listener
        .close()
        .then(() => closeRedis(client))
        .finally(() => port.close());
    }
  });
  listener.start();
}

if (parentPort) run(parentPort, workerData as RevocationThreadData);
