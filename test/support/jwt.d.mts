export interface DecodedJwt {
  header: Record<string, unknown>;
  payload: Record<string, unknown>;
  signature: string;
}

export declare function base64url(value: string | Buffer): string;
export declare function decodeJwt(token: string): DecodedJwt;
/** header.payload, base64url-encoded, without a signature. */
export declare function signingInput(header: object, payload: object): string;
/** An HMAC-signed JWT (HS256 by default) built by hand. */
export declare function signHmacJwt(
  payload: object,
  secret: string,
  alg?: 'HS256' | 'HS384' | 'HS512',
  header?: object,
): string;
/** An access token with the claims the library issues: sub, sid, jti, iat, exp. */
export declare function signAccessToken(
  secret: string,
  userId: string,
  sessionId: string,
  ttlSeconds?: number,
): string;
/** The `alg: none` attack: an unsigned token with an empty signature. */
export declare function unsignedJwt(payload: object): string;
/** Changes the payload of a real token but keeps its original signature. */
export declare function tamperJwt(
  token: string,
  change: (payload: Record<string, unknown>) => object,
): string;
export declare function nowSeconds(): number;
