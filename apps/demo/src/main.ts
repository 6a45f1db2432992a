import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { SessionIoAdapter } from 'nestjs-session-auth';
import { Logger as PinoLogger } from 'nestjs-pino';
import { collectDefaultMetrics } from 'prom-client';
import { AppModule } from './app.module.js';
import { loadDemoConfig } from './config/demo-config.js';
import { dataSourceOptions } from './database/data-source-options.js';
import { startEmbeddedPostgres } from './database/embedded-postgres.js';
import { migrate } from './database/migrate.js';
import { configureHttp } from './http-setup.js';
import { ShutdownState } from './lifecycle/shutdown-state.js';

/** Host and port only: a URL's credentials never reach the log. */
function describeUrl(url: string): string {
  if (url.startsWith('redis+cluster:')) return `cluster ${url.replace(/^.*[/@]/, '')}`;
  const { protocol, hostname, port, pathname } = new URL(url);
  return `${protocol}//${hostname}${port ? `:${port}` : ''}${pathname}`;
}

async function bootstrap(): Promise<void> {
  const logger = new Logger('Demo');
  const config = loadDemoConfig();
  if (config.developmentJwtSecret) {
    logger.warn(
      'JWT_SECRET is not set: signing with the public development secret (npm start only). ' +
        'Anyone can forge tokens for this instance; set JWT_SECRET anywhere else.',
    );
  }
  const embedded = config.databaseUrl
    ? undefined
    : await startEmbeddedPostgres(config.embeddedDataDir);
  const database = dataSourceOptions(config.databaseUrl ?? embedded!.url, !!embedded);
  // Migrations queue on a session-level advisory lock: never through a transaction pooler.
  const applied = await migrate(
    config.databaseDirectUrl ? dataSourceOptions(config.databaseDirectUrl, false) : database,
    { shared: !embedded },
  );
  if (applied.length > 0) logger.log(`applied migrations: ${applied.join(', ')}`);

  const app = await NestFactory.create<NestExpressApplication>(
    AppModule.forRoot(config, database),
    {
      bodyParser: false,
      bufferLogs: true,
    },
  );
  app.useLogger(app.get(PinoLogger));
  if (config.metrics) collectDefaultMetrics();
  configureHttp(app, config.trustProxy);
  const openApi = new DocumentBuilder()
    .setTitle('session-auth demo')
    .setDescription('Device-aware sessions. Every error is `{ statusCode, code, message }`.')
    .addBearerAuth()
    .addCookieAuth(config.refreshCookieName, { type: 'apiKey' }, 'refresh_token')
    .build();
  SwaggerModule.setup('docs', app, () => SwaggerModule.createDocument(app, openApi));
  app.useWebSocketAdapter(await SessionIoAdapter.create(app));

  // Graceful: report not-ready and close keep-alive connections for a moment, then stop accepting,
  // finish in-flight requests, stop the cron (waiting for a running cleanup to release its lock),
  // close sockets and the connections the app opened.
  const stop = async (signal: string) => {
    logger.log(`${signal}: draining for ${config.shutdownDrainMs} ms, then shutting down`);
    app.get(ShutdownState).draining = true;
    await new Promise((resolve) => setTimeout(resolve, config.shutdownDrainMs));
    await app.close();
    await embedded?.stop();
    process.exit(0);
  };
  process.once('SIGTERM', () => void stop('SIGTERM'));
  process.once('SIGINT', () => void stop('SIGINT'));

  const host = process.env.HOST || '127.0.0.1';
  await app.listen(config.port, host);
  const address = app.getHttpServer().address() as { port: number };
  logger.log(
    `backends: database=${embedded ? `embedded PGlite (${config.embeddedDataDir})` : `PostgreSQL ${describeUrl(config.databaseUrl!)}`}` +
      (config.databaseDirectUrl ? ` (direct ${describeUrl(config.databaseDirectUrl)})` : '') +
      `, cache=${config.redisUrl ? `Redis ${describeUrl(config.redisUrl)} (prefix "${config.redisKeyPrefix}")` : 'in-process (single instance)'}`,
  );
  logger.log(`listening on http://${host}:${address.port}`);
}

bootstrap().catch((error: Error) => {
  new Logger('Demo').error(`failed to start: ${error.message}`);
  process.exit(1);
});
