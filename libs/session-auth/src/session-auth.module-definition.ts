import { ConfigurableModuleBuilder, type Type } from '@nestjs/common';
import { PATH_METADATA } from '@nestjs/common/constants.js';
import { SessionAuthController } from './http/session-auth.controller.js';
import { SESSION_AUTH_ROUTE_PATH } from './session-auth.internal-tokens.js';
import { DEFAULT_ROUTE_PATH } from './session-auth.constants.js';
import type { SessionAuthExtras, SessionAuthOptions } from './config/session-auth.options.js';
import { importOptionalPeer, lazyModule } from './utils/optional-peer.js';

/** Defaults of the forRoot extras. */
const EXTRAS: Required<SessionAuthExtras> = {
  controller: true,
  routePath: DEFAULT_ROUTE_PATH,
  isGlobal: false,
  gateway: false,
};

/** The session routes mounted at `path`: a subclass, so the library's own class keeps its metadata. */
function mountController(path: string): Type {
  if (path === DEFAULT_ROUTE_PATH) return SessionAuthController;
  class MountedSessionAuthController extends SessionAuthController {}
  Reflect.defineMetadata(PATH_METADATA, path, MountedSessionAuthController);
  return MountedSessionAuthController;
}

const definition = new ConfigurableModuleBuilder<SessionAuthOptions>({ moduleName: 'SessionAuth' })
  .setClassMethodName('forRoot')
  .setFactoryMethodName('createSessionAuthOptions')
  .setExtras<SessionAuthExtras>(EXTRAS, (definition, extras) => ({
    ...definition,
    global: extras.isGlobal ?? EXTRAS.isGlobal,
    controllers:
      (extras.controller ?? EXTRAS.controller)
        ? [mountController(extras.routePath ?? EXTRAS.routePath)]
        : [],
    imports: [
      ...(definition.imports ?? []),
      // Loaded only when asked for: its packages are optional peers.
      ...((extras.gateway ?? EXTRAS.gateway)
        ? [
            importOptionalPeer(
              '@nestjs/websockets',
              'the gateway option',
              lazyModule(
                () => require('./gateway/session-gateway.module.js'),
                () => import('./gateway/session-gateway.module.js'),
              ),
            ).then((m) => m.sessionGatewayModule()),
          ]
        : []),
    ],
    providers: [
      ...(definition.providers ?? []),
      { provide: SESSION_AUTH_ROUTE_PATH, useValue: extras.routePath ?? EXTRAS.routePath },
    ],
  }))
  .build();

export const ConfigurableSessionAuthModule = definition.ConfigurableModuleClass;
/** Injects the options exactly as given to `forRoot` / `forRootAsync`. */
export const SESSION_AUTH_OPTIONS = definition.MODULE_OPTIONS_TOKEN;
/** For `typeof`: the argument of `forRoot` (options and extras). */
export const SESSION_AUTH_OPTIONS_TYPE = definition.OPTIONS_TYPE;
/** For `typeof`: the argument of `forRootAsync`. */
export const SESSION_AUTH_ASYNC_OPTIONS_TYPE = definition.ASYNC_OPTIONS_TYPE;

/**
 * A class that builds the options for `forRootAsync({ useClass })` or `forRootAsync({ useExisting })`.
 *
 * @example
 * ```ts
 * @Injectable()
 * class SessionAuthConfig implements SessionAuthOptionsFactory {
 *   constructor(private readonly config: ConfigService) {}
 *   createSessionAuthOptions(): SessionAuthOptions {
 *     return { jwtSecret: this.config.getOrThrow('JWT_SECRET') };
 *   }
 * }
 * ```
 */
export interface SessionAuthOptionsFactory {
  /** The module options. */
  createSessionAuthOptions(): SessionAuthOptions | Promise<SessionAuthOptions>;
}
