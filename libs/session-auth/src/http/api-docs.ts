import { applyDecorators } from '@nestjs/common';
import { ApiProperty, ApiResponse } from '@nestjs/swagger';
import { ERROR_STATUS, type SessionAuthErrorCode } from '../errors/error-codes.js';
import { ERROR_MESSAGES } from '../errors/error-messages.js';

/** The error shape every route answers with, for OpenAPI. */
export class ErrorResponseDoc {
  @ApiProperty({ example: 401 })
  statusCode: number;

  @ApiProperty({ enum: Object.keys(ERROR_STATUS), example: 'SESSION_REVOKED' })
  code: SessionAuthErrorCode;

  @ApiProperty({ example: ERROR_MESSAGES.SESSION_REVOKED })
  message: string;
}

/** Documents the error codes a route can answer with, grouped by status. */
export function ApiErrors(...codes: SessionAuthErrorCode[]): MethodDecorator & ClassDecorator {
  const byStatus = new Map<number, SessionAuthErrorCode[]>();
  for (const code of codes)
    byStatus.set(ERROR_STATUS[code], [...(byStatus.get(ERROR_STATUS[code]) ?? []), code]);
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

export class SessionViewDoc {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ nullable: true, example: 'Work laptop' }) deviceName: string;
  @ApiProperty({ nullable: true, example: 'Chrome 131' }) browser: string;
  @ApiProperty({ nullable: true, example: 'Windows 10' }) os: string;
  @ApiProperty({ nullable: true, example: '203.0.113.7' }) ip: string;
  @ApiProperty({ format: 'date-time' }) createdAt: string;
  @ApiProperty({ format: 'date-time' }) lastActiveAt: string;
  @ApiProperty({ description: 'true for the session of the access token used' }) current: boolean;
}

export class IssuedSessionDoc {
  @ApiProperty({ description: 'JWT for `Authorization: Bearer`' }) accessToken: string;
  @ApiProperty({ format: 'date-time' }) accessTokenExpiresAt: string;
  @ApiProperty({ type: SessionViewDoc }) session: SessionViewDoc;
  @ApiProperty({ required: false, description: 'Only with refresh transport `body` or `both`' })
  refreshToken?: string;
}
