import { fullAdopterSuite } from './support/full-adopter-suite.js';

// The full adopter (see fullAdopterSuite) on the Nest and TypeORM this repository runs.
fullAdopterSuite({ name: 'full', label: 'Nest 12 + TypeORM 1' });
