import type { Provider } from '@nestjs/common';
import { DirectConnection } from '../persistence/direct-connection.js';
import { RevocationRepository } from '../persistence/revocation.repository.js';
import { CacheReconciler } from './cache-reconciler.js';
import { MultiInstancePropagator } from './multi-instance-propagator.js';
import { PostgresRevocationTransport } from './postgres-revocation-transport.js';
import { RedisRevocationTransport } from './redis-revocation-transport.js';
import { RevocationBarrier } from './revocation-barrier.js';
import { RevocationFeed } from './revocation-feed.js';
import { RevocationPeer } from './revocation-peer.js';
import { RevocationPropagator } from './revocation-propagator.js';
import { SingleInstancePropagator } from './single-instance-propagator.js';

/** Picks the implementation once: one process only on an embedded single-connection database. */
const revocationPropagatorProvider: Provider = {
  provide: RevocationPropagator,
  inject: [DirectConnection, SingleInstancePropagator, MultiInstancePropagator],
  useFactory: (
    direct: DirectConnection,
    single: SingleInstancePropagator,
    multi: MultiInstancePropagator,
  ): RevocationPropagator => (direct.isSingleConnection ? single : multi),
};

/** Everything revocation is made of; the rest of the library sees only RevocationPropagator. */
export const revocationProviders: Provider[] = [
  RevocationRepository,
  RevocationPeer,
  RedisRevocationTransport,
  PostgresRevocationTransport,
  RevocationBarrier,
  RevocationFeed,
  CacheReconciler,
  SingleInstancePropagator,
  MultiInstancePropagator,
  revocationPropagatorProvider,
];
