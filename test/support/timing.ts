// One copy, beside the library's own specs (which may not reach into test/).
export { eventually, sleep } from '../../libs/session-auth/src/test-fakes/timing.js';
