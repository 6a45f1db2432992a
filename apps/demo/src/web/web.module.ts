import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type DynamicModule, Logger, Module } from '@nestjs/common';
import { ServeStaticModule } from '@nestjs/serve-static';
import type { Response } from 'express';

const here = path.dirname(fileURLToPath(import.meta.url));

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
 * Only `/` itself renders index.html (no single-page fallback), and static files are looked up
 * before the routes but fall through when missing: so every API route, present or future, keeps
 * its own answers and an unknown route still gets the JSON 404 — no exclusion list to maintain.
 */
@Module({})
export class WebModule {
  static forRoot(): DynamicModule {
    const rootPath = CANDIDATE_ROOTS.find((root) => existsSync(path.join(root, 'index.html')));
    if (!rootPath) {
      new Logger('WebModule').warn(
        'the device page is not built (npm run build:web): / is not served',
      );
      return { module: WebModule };
    }
    return {
      module: WebModule,
      imports: [
        ServeStaticModule.forRoot({
          rootPath,
          renderPath: '/',
          serveStaticOptions: {
            index: 'index.html',
            redirect: false,
            fallthrough: true,
            setHeaders: (res: Response, file: string) => {
              // Vite fingerprints everything under assets/; the page itself must always be fresh.
              const fingerprinted = file.startsWith(path.join(rootPath, 'assets') + path.sep);
              res.setHeader(
                'Cache-Control',
                fingerprinted ? 'public, max-age=31536000, immutable' : 'no-cache',
              );
            },
          },
        }),
      ],
    };
  }
}
