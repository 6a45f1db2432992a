import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import type { SchedulerRegistry } from '@nestjs/schedule';
import { SESSION_AUTH_RESOLVED_OPTIONS } from '../session-auth.internal-tokens.js';
import type { ResolvedSessionAuthOptions } from '../config/session-auth.options.js';
import { SessionMetrics } from '../metrics/session-metrics.js';
import { CleanupService } from './cleanup.service.js';
import { lazyModule } from '../utils/optional-peer.js';

const JOB_NAME = 'session-auth-cleanup';

/**
 * Registers the cleanup cron from the module options at bootstrap (a `@Cron()` expression would be
 * fixed at class definition) and stops it on shutdown. The app provides `@nestjs/schedule` and
 * `ScheduleModule.forRoot()`; without them the job is not scheduled (a warning says so) and
 * `SessionService.cleanupExpiredSessions()` still works. `@nestjs/schedule` and `cron` are loaded
 * only when `cleanupCron` is set.
 */
@Injectable()
export class CleanupScheduler implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('SessionAuthCleanup');

  constructor(
    @Inject(SESSION_AUTH_RESOLVED_OPTIONS) private readonly options: ResolvedSessionAuthOptions,
    private readonly cleanup: CleanupService,
    private readonly metrics: SessionMetrics,
    private readonly moduleRef: ModuleRef,
  ) {}

  private registry?: SchedulerRegistry;

  async onApplicationBootstrap(): Promise<void> {
    if (this.options.cleanupCron === false) return;
    const loaded = await Promise.all([
      lazyModule(
        () => require('@nestjs/schedule'),
        () => import('@nestjs/schedule'),
      )(),
      lazyModule(
        () => require('cron'),
        () => import('cron'),
      )(),
    ]).catch(() => undefined);
    this.registry = loaded && this.schedulerRegistry(loaded[0].SchedulerRegistry);
    if (!loaded || !this.registry) {
      this.logger.warn(
        'the cleanup job is not scheduled: install @nestjs/schedule and import ScheduleModule.forRoot(), or set cleanupCron: false',
      );
      return;
    }
    const job = loaded[1].CronJob.from({
      cronTime: this.options.cleanupCron,
      onTick: () => void this.tick(),
      start: true,
    });
    this.registry.addCronJob(JOB_NAME, job);
  }

  private schedulerRegistry(token: typeof SchedulerRegistry): SchedulerRegistry | undefined {
    try {
      // The registry belongs to the app's ScheduleModule, and its class is known only once the
      // optional package is loaded (no constructor injection): a look-up across modules.
      return this.moduleRef.get(token, { strict: false });
    } catch {
      return undefined; // ScheduleModule.forRoot() is not imported
    }
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.registry?.doesExist('cron', JOB_NAME)) this.registry.deleteCronJob(JOB_NAME);
  }

  private async tick(): Promise<void> {
    try {
      await this.cleanup.run();
    } catch (error) {
      this.metrics.cleanupRuns.inc({ outcome: 'failed' });
      this.logger.error(`cleanup run failed: ${(error as Error).message}`);
    }
  }
}
