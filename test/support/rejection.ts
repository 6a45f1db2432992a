// One copy, beside the library's own specs (which may not reach into test/).
export { rejectionCode } from '../../libs/session-auth/src/test-fakes/rejection-code.js';
