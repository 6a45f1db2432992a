import { mkdir } from 'node:fs/promises';
import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';

/** An embedded PostgreSQL (PGlite) behind the wire protocol, so the `pg` driver and migrations serve as is. */
export interface EmbeddedPostgres {
  url: string;
  stop(): Promise<void>;
}

/**
 * Starts PGlite on a free loopback port. PGlite is one connection: the app must use a pool of
 * one (see `dataSourceOptions`), otherwise transactions of different connections would interleave.
 */
export async function startEmbeddedPostgres(dataDir: string): Promise<EmbeddedPostgres> {
  await mkdir(dataDir, { recursive: true });
  const db = await PGlite.create(dataDir);
  for (let attempt = 1; ; attempt++) {
    const port = 15432 + Math.floor(Math.random() * 10_000);
    const server = new PGLiteSocketServer({ db, host: '127.0.0.1', port, maxConnections: 1 });
    try {
      await server.start();
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE' && attempt < 10) continue;
      throw error;
    }
    return listening(db, server, port);
  }
}

function listening(db: PGlite, server: PGLiteSocketServer, port: number): EmbeddedPostgres {
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    async stop() {
      await server.stop();
      await db.close();
    },
  };
}
