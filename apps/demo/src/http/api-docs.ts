import { applyDecorators } from '@nestjs/common';
import { ApiProperty, ApiResponse } from '@nestjs/swagger';
import { ERROR_STATUS, type SessionAuthErrorCode } from 'nestjs-session-auth';
import { DEMO_ERRORS, type DemoErrorCode } from '../errors/demo-errors.js';

/** `{ statusCode, code, message }`: every error answer of the demo and the library. */
export class ErrorBodyDoc {
  @ApiProperty({ example: 401 }) statusCode: number;
  @ApiProperty({ example: 'SESSION_REVOKED' }) code: string;
  @ApiProperty() message: string;
}

/** A sign-in's answer: the library's issued session plus the demo's `user`. */
export class SignedInDoc {
  @ApiProperty({ description: 'JWT for `Authorization: Bearer`' }) accessToken: string;
  @ApiProperty({ format: 'date-time' }) accessTokenExpiresAt: string;
  @ApiProperty({ description: 'The new session, as `GET /auth/sessions` lists it' })
  session: object;
  @ApiProperty({ required: false, description: 'With refresh transport `body` or `both`' })
  refreshToken?: string;
  @ApiProperty({ description: '`{ id, email, name }`' }) user: object;
}

const statusOf = (code: SessionAuthErrorCode | DemoErrorCode): number =>
  code in DEMO_ERRORS
    ? DEMO_ERRORS[code as DemoErrorCode].status
    : ERROR_STATUS[code as SessionAuthErrorCode];

/** One OpenAPI response per status, listing the error codes (the library's or the demo's) it carries. */
export function ApiErrors(...codes: (SessionAuthErrorCode | DemoErrorCode)[]) {
  const statuses = [...new Set(codes.map(statusOf))];
  return applyDecorators(
    ...statuses.map((status) => {
      const listed = codes.filter((code) => statusOf(code) === status);
      return ApiResponse({
        status,
        type: ErrorBodyDoc,
        description: listed.map((c) => `\`${c}\``).join(', '),
      });
    }),
  );
}
