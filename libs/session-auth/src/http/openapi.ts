/**
 * `@nestjs/swagger` decorators, recorded when the classes are defined and applied when the package
 * is loaded (option `openApi: true`), so that an app without it neither installs nor loads it.
 * Internal: the package's types never name `@nestjs/swagger`.
 */
import type { Provider } from '@nestjs/common';
import {
  SESSION_AUTH_OPENAPI,
  SESSION_AUTH_RESOLVED_OPTIONS,
} from '../session-auth.internal-tokens.js';
import type { ResolvedSessionAuthOptions } from '../config/session-auth.options.js';
import { importOptionalPeer, lazyModule } from '../utils/optional-peer.js';

type Swagger = Record<string, (...args: unknown[]) => Decorator>;
type Decorator = (target: object, key?: string | symbol, descriptor?: PropertyDescriptor) => void;

let swagger: Swagger | undefined;
const pending: ((swagger: Swagger) => void)[] = [];

function whenLoaded(apply: (swagger: Swagger) => void): void {
  if (swagger) apply(swagger);
  else pending.push(apply);
}

/** Loads `@nestjs/swagger` and applies every decorator recorded so far (and later ones at once). */
export async function loadOpenApi(load: () => Promise<unknown>): Promise<void> {
  if (swagger) return;
  swagger = (await load()) as Swagger;
  for (const apply of pending.splice(0)) apply(swagger);
}

/** A decorator that stands for `@nestjs/swagger`'s decorator `name` called with `args`. */
function deferred(name: string) {
  return (...args: unknown[]): Decorator & ClassDecorator & MethodDecorator & PropertyDecorator =>
    ((target: object, key?: string | symbol, descriptor?: PropertyDescriptor) => {
      whenLoaded((loaded) => loaded[name](...args)(target, key, descriptor));
    }) as Decorator & ClassDecorator & MethodDecorator & PropertyDecorator;
}

export const ApiBearerAuth = deferred('ApiBearerAuth');
export const ApiBody = deferred('ApiBody');
export const ApiCookieAuth = deferred('ApiCookieAuth');
export const ApiNoContentResponse = deferred('ApiNoContentResponse');
export const ApiOkResponse = deferred('ApiOkResponse');
export const ApiParam = deferred('ApiParam');
export const ApiProperty = deferred('ApiProperty');
export const ApiQuery = deferred('ApiQuery');
export const ApiResponse = deferred('ApiResponse');
export const ApiTags = deferred('ApiTags');

/** Applies the recorded decorators at start-up when the `openApi` option is on. */
export const openApiProvider: Provider = {
  provide: SESSION_AUTH_OPENAPI,
  inject: [SESSION_AUTH_RESOLVED_OPTIONS],
  useFactory: async ({ openApi }: ResolvedSessionAuthOptions): Promise<boolean> => {
    if (openApi) {
      await loadOpenApi(() =>
        importOptionalPeer(
          '@nestjs/swagger',
          'the openApi option',
          lazyModule(
            () => require('@nestjs/swagger'),
            () => import('@nestjs/swagger'),
          ),
        ),
      );
    }
    return openApi;
  },
};
