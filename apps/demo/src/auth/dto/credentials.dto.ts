import { MAX_PASSWORD_BYTES } from '#session-auth';
import { IsEmail, IsOptional, IsString, Length, MaxLength } from 'class-validator';
import { MaxBytes } from './max-bytes.validator.js';

/** POST /auth/login */
export class LoginDto {
  @IsEmail({}, { message: 'email must be a valid email address' })
  @MaxLength(254)
  email: string;

  @IsString()
  @Length(1, 200)
  @MaxBytes(MAX_PASSWORD_BYTES, { message: `password must be at most ${MAX_PASSWORD_BYTES} bytes` })
  password: string;

  @IsOptional()
  @IsString()
  @Length(1, 100)
  deviceName?: string;
}

/** POST /auth/register */
export class RegisterDto {
  @IsEmail({}, { message: 'email must be a valid email address' })
  @MaxLength(254)
  email: string;

  @IsString()
  @Length(8, 200, { message: 'password must be at least 8 characters' })
  @MaxBytes(MAX_PASSWORD_BYTES, { message: `password must be at most ${MAX_PASSWORD_BYTES} bytes` })
  password: string;

  @IsOptional()
  @IsString()
  @Length(1, 100)
  name?: string;

  @IsOptional()
  @IsString()
  @Length(1, 100)
  deviceName?: string;
}
