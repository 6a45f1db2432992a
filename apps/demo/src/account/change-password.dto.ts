import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsOptional, IsString, Length } from 'class-validator';
import { MAX_PASSWORD_BYTES, MaxBytes } from '../auth/dto/max-bytes.validator.js';

/** POST /auth/password */
export class ChangePasswordDto {
  @ApiProperty()
  @IsString()
  @Length(1, 200)
  @MaxBytes(MAX_PASSWORD_BYTES, {
    message: `currentPassword must be at most ${MAX_PASSWORD_BYTES} bytes`,
  })
  currentPassword: string;

  @ApiProperty({ description: '8 characters to 72 bytes (UTF-8)' })
  @IsString()
  @Length(8, 200, { message: 'newPassword must be at least 8 characters' })
  @MaxBytes(MAX_PASSWORD_BYTES, {
    message: `newPassword must be at most ${MAX_PASSWORD_BYTES} bytes`,
  })
  newPassword: string;

  /** Keep the other devices signed in (default: they are signed out). */
  @ApiPropertyOptional({ default: false })
  @IsOptional()
  @IsBoolean()
  keepOtherSessions?: boolean;
}
