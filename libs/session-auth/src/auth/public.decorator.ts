import { SetMetadata } from '@nestjs/common';
import { IS_PUBLIC_KEY } from '../session-auth.constants.js';

/** Opts a route (or controller) out of a globally applied SessionAuthGuard. */
export const Public = (): MethodDecorator & ClassDecorator => SetMetadata(IS_PUBLIC_KEY, true);
