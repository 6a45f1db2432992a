import type { DeviceProofRequest } from '../binding/device-proof.service.js';

/** Where a sign-in or refresh comes from. */
export interface SessionContext {
  ip?: string;
  userAgent?: string;
  /** A stable id the client keeps per device (enables device binding). */
  deviceId?: string;
  /** A human name such as "Work laptop"; defaults to the browser and OS. */
  deviceName?: string;
  /** The request's `DPoP` proof of a device key, if it sent one (`sessionContextOf` reads it). */
  deviceProof?: DeviceProofRequest;
  /**
   * The DBSC bound credential the request carried (the short-lived cookie a DBSC session's browser
   * keeps fresh); the library's refresh route reads it.
   */
  dbscCredential?: string;
}

const LIMITS = { ip: 64, userAgent: 512, deviceId: 255, deviceName: 255 } as const;

/** Trims every field to its column's length so client-sent text can never fail an insert. */
export function boundedContext(context: SessionContext = {}): SessionContext {
  const out: SessionContext = {};
  for (const key of Object.keys(LIMITS) as (keyof typeof LIMITS)[]) {
    const value = context[key];
    if (typeof value === 'string' && value.length > 0) out[key] = value.slice(0, LIMITS[key]);
  }
  if (context.deviceProof) out.deviceProof = context.deviceProof;
  if (typeof context.dbscCredential === 'string') out.dbscCredential = context.dbscCredential;
  return out;
}
