import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsEmail, IsOptional, IsString, Length, MaxLength } from 'class-validator';
import { MAX_PASSWORD_BYTES, MaxBytes } from './max-bytes.validator.js';

/** POST /auth/login */
export class LoginDto {
  @ApiProperty({ example: 'ada@example.com', maxLength: 254 })
  @IsEmail({}, { message: 'email must be a valid email address' })
  @MaxLength(254)
  email: string;

  @ApiProperty({ description: 'At most 72 bytes (UTF-8)', example: 'correct horse battery staple' })
  @IsString()
  @Length(1, 200)
  @MaxBytes(MAX_PASSWORD_BYTES, { message: `password must be at most ${MAX_PASSWORD_BYTES} bytes` })
  password: string;

  @ApiPropertyOptional({ example: 'Work laptop', description: 'Defaults to the browser and OS' })
  @IsOptional()
  @IsString()
  @Length(1, 100)
  deviceName?: string;
}

/** POST /auth/register */
export class RegisterDto {
  @ApiProperty({ example: 'ada@example.com', maxLength: 254 })
  @IsEmail({}, { message: 'email must be a valid email address' })
  @MaxLength(254)
  email: string;

  @ApiProperty({
    description: '8 characters to 72 bytes (UTF-8)',
    example: 'correct horse battery staple',
  })
  @IsString()
  @Length(8, 200, { message: 'password must be at least 8 characters' })
  @MaxBytes(MAX_PASSWORD_BYTES, { message: `password must be at most ${MAX_PASSWORD_BYTES} bytes` })
  password: string;

  @ApiPropertyOptional({ example: 'Ada' })
  @IsOptional()
  @IsString()
  @Length(1, 100)
  name?: string;

  @ApiPropertyOptional({ example: 'Work laptop', description: 'Defaults to the browser and OS' })
  @IsOptional()
  @IsString()
  @Length(1, 100)
  deviceName?: string;
}
