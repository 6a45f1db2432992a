import { fullAdopterSuite } from './support/full-adopter-suite.js';
import { NEST_11_VERSIONS } from './support/nest-11-versions.js';

// The full adopter (see fullAdopterSuite) on Nest 11 and TypeORM 0.3, with the Nest 11 majors of
// the optional peers (@nestjs/event-emitter 3, @nestjs/schedule 6, @nestjs/websockets 11).
fullAdopterSuite({ name: 'full-nest11', label: 'Nest 11 + TypeORM 0.3', pinned: NEST_11_VERSIONS });
