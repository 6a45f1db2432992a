import { applyDecorators } from '@nestjs/common';
import { ERROR_STATUS, type SessionAuthErrorCode } from '../errors/error-codes.js';
import { ERROR_MESSAGES } from '../errors/error-messages.js';
import { ApiProperty, ApiResponse } from './openapi.js';

/** The error shape every route answers with, for OpenAPI (with the `openApi` option). */
export class ErrorResponseDoc {
  @ApiProperty({ example: 401 })
  statusCode: number;

  @ApiProperty({ enum: Object.keys(ERROR_STATUS), example: 'SESSION_REVOKED' })
  code: string;

  @ApiProperty({ example: ERROR_MESSAGES.SESSION_REVOKED })
  message: string;
}

/**
 * Documents the error codes a route can answer with, grouped by status: the library's codes by
 * name, an app's own as `[code, status]`. Takes effect with the `openApi` option.
 *
 * @example
 * ```ts
 * @ApiErrors('ACCESS_TOKEN_MISSING', 'SESSION_REVOKED', ['EMAIL_TAKEN', 409])
 * ```
 */
export function ApiErrors(
  ...codes: (SessionAuthErrorCode | [code: string, status: number])[]
): MethodDecorator & ClassDecorator {
  const byStatus = new Map<number, string[]>();
  for (const entry of codes) {
    const [code, status] = typeof entry === 'string' ? [entry, ERROR_STATUS[entry]] : entry;
    byStatus.set(status, [...(byStatus.get(status) ?? []), code]);
  }
  return applyDecorators(
    ...[...byStatus].map(([status, list]) =>
      ApiResponse({
        status,
        type: ErrorResponseDoc,
        description: list.map((c) => `\`${c}\``).join(', '),
      }),
    ),
  );
}

/** A session as the routes return it, for OpenAPI. */
export class SessionViewDoc {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ nullable: true, example: 'Work laptop' }) deviceName: string;
  @ApiProperty({ nullable: true, example: 'Chrome 131' }) browser: string;
  @ApiProperty({ nullable: true, example: 'Windows 10' }) os: string;
  @ApiProperty({ nullable: true, example: '203.0.113.7' }) ip: string;
  @ApiProperty({ format: 'date-time' }) createdAt: string;
  @ApiProperty({ format: 'date-time' }) lastActiveAt: string;
  @ApiProperty({ description: 'bound to a device key: its refresh token is worthless elsewhere' })
  deviceBound: boolean;
  @ApiProperty({
    enum: ['dpop', 'dbsc'],
    nullable: true,
    description:
      "how the device key was registered: the client package's (dpop) or the browser's (dbsc)",
  })
  deviceKeySource: 'dpop' | 'dbsc' | null;
  @ApiProperty({ description: 'true for the session of the access token used' }) current: boolean;
}

/** The body of a sign-in or refresh answer, for OpenAPI. */
export class IssuedSessionDoc {
  @ApiProperty({ description: 'JWT for `Authorization: Bearer`' }) accessToken: string;
  @ApiProperty({ format: 'date-time' }) accessTokenExpiresAt: string;
  @ApiProperty({ type: SessionViewDoc }) session: SessionViewDoc;
  @ApiProperty({ required: false, description: 'Only with refresh transport `body` or `both`' })
  refreshToken?: string;
}
