import type { INestApplication } from '@nestjs/common';

/** Listens on PORT (0: any free port) and prints the line the test harness waits for. */
export async function listen(app: INestApplication): Promise<void> {
  app.enableShutdownHooks();
  await app.listen(Number(process.env.PORT ?? 3000), '127.0.0.1');
  const { port } = app.getHttpServer().address() as { port: number };
  console.log(`listening on http://127.0.0.1:${port}`);
}
