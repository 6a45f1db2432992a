// No imports here: the socket contract (and browser code through it) uses this type.

/**
 * Why a refresh was taken for theft: `'token-reused'`, a spent refresh token came back;
 * `'device-key-mismatch'`, a valid refresh token of a device-bound session came without a proof of
 * its device key (it was copied off the device).
 */
export type TheftCause = 'token-reused' | 'device-key-mismatch';
