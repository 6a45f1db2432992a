import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  type DynamicModule,
  Inject,
  Logger,
  Module,
  type OnModuleInit,
  Optional,
} from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { devicePageMiddleware } from './device-page.middleware.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const DEVICE_PAGE_ROOT = Symbol('DEVICE_PAGE_ROOT');

/**
 * Where `npm run build:web` writes the device page: `dist/web`. Seen from the compiled module
 * (dist/apps/demo/src/web) or from its source (apps/demo/src/web, e.g. under jest).
 */
const CANDIDATE_ROOTS = [
  path.resolve(here, '../../../../web'),
  path.resolve(here, '../../../../dist/web'),
];

/**
 * Serves the device page (apps/demo/web, built by Vite) at `/`.
 *
 * Only `/` itself renders index.html (no single-page fallback), and the page's files are looked up
 * before the routes: every API route, present or future, keeps its own answers and an unknown
 * route still gets the JSON 404 — no exclusion list to maintain.
 */
@Module({})
export class WebModule implements OnModuleInit {
  constructor(
    private readonly adapterHost: HttpAdapterHost,
    @Optional() @Inject(DEVICE_PAGE_ROOT) private readonly rootPath?: string,
  ) {}

  static forRoot(): DynamicModule {
    const rootPath = CANDIDATE_ROOTS.find((root) => existsSync(path.join(root, 'index.html')));
    if (!rootPath) {
      new Logger('WebModule').warn(
        'the device page is not built (npm run build:web): / is not served',
      );
      return { module: WebModule };
    }
    return { module: WebModule, providers: [{ provide: DEVICE_PAGE_ROOT, useValue: rootPath }] };
  }

  /** Registered like @nestjs/serve-static does, before the router answers. */
  onModuleInit(): void {
    if (this.rootPath) this.adapterHost.httpAdapter.use(devicePageMiddleware(this.rootPath));
  }
}
