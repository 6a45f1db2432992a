import { SetMetadata } from '@nestjs/common';
import { FRESH_SESSION_KEY } from '../session-auth.constants.js';

/** Refuses (401 SESSION_NOT_FRESH) unless the session's last password sign-in is under `seconds` old. */
export const RequireFreshSession = (seconds: number): MethodDecorator & ClassDecorator =>
  SetMetadata(FRESH_SESSION_KEY, seconds);
