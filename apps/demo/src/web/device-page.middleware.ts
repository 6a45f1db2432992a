import { readdirSync } from 'node:fs';
import path from 'node:path';
import express, { type NextFunction, type Request, type Response } from 'express';

/** Every file of the built page as a URL path: `/index.html`, `/assets/index-abc123.js`, ... */
function urlPathsUnder(root: string): Set<string> {
  const entries = readdirSync(root, { recursive: true, withFileTypes: true });
  return new Set(
    entries
      .filter((entry) => entry.isFile())
      .map((entry) => '/' + path.relative(root, path.join(entry.parentPath, entry.name))),
  );
}

/**
 * Serves the device page's files. Only the paths the build produced (read once at start-up: the
 * build output does not change under a running server) and `/` reach express.static: every other
 * request, which is every API call, passes on without a file-system look-up.
 */
export function devicePageMiddleware(rootPath: string) {
  const files = urlPathsUnder(rootPath);
  const assets = path.join(rootPath, 'assets') + path.sep;
  const serve = express.static(rootPath, {
    index: 'index.html',
    redirect: false,
    fallthrough: true,
    setHeaders: (res, file) => {
      // Vite fingerprints everything under assets/; the page itself must always be fresh.
      const fingerprinted = file.startsWith(assets);
      res.setHeader(
        'Cache-Control',
        fingerprinted ? 'public, max-age=31536000, immutable' : 'no-cache',
      );
    },
  });
  return (req: Request, res: Response, next: NextFunction): void => {
    const read = req.method === 'GET' || req.method === 'HEAD';
    if (read && (req.path === '/' || files.has(req.path))) serve(req, res, next);
    else next();
  };
}
