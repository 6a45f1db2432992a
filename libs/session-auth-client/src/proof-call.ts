import type { DeviceKey } from './device-key.js';
import { callJson, type HttpTransport, urlOf } from './http-transport.js';
import { SessionClientError } from './session-client.error.js';
import { absoluteUrl } from './token-scope.js';

/**
 * `callJson` with a `DPoP` proof signed by `pair` (when there is one). A refusal for a stale nonce
 * (`DPOP_NONCE_REQUIRED`) is retried once with the nonce that refusal handed out.
 */
export async function callWithProof<T>(
  transport: HttpTransport,
  key: DeviceKey | undefined,
  pair: CryptoKeyPair | undefined,
  method: string,
  path: string,
  options: { body?: unknown; signal?: AbortSignal } = {},
): Promise<T> {
  const url = urlOf(transport, path);
  for (let attempt = 0; ; attempt++) {
    const headers =
      key && pair
        ? { DPoP: await key.proofHeader(pair, method, absoluteUrl(url) ?? url) }
        : undefined;
    try {
      return await callJson<T>(transport, method, path, {
        ...options,
        headers,
        onResponse: (response) => key?.noteNonce(response),
      });
    } catch (error) {
      const nonceAsked =
        error instanceof SessionClientError && error.code === 'DPOP_NONCE_REQUIRED';
      if (attempt > 0 || !headers || !nonceAsked) throw error;
    }
  }
}
