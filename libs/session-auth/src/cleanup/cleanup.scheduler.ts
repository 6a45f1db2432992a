import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
  Optional,
} from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { CronJob } from 'cron';
import { SESSION_AUTH_RESOLVED_OPTIONS } from '../session-auth.internal-tokens.js';
import type { ResolvedSessionAuthOptions } from '../session-auth.options.js';
import { SessionMetrics } from '../metrics/session-metrics.js';
import { CleanupService } from './cleanup.service.js';

const JOB_NAME = 'session-auth-cleanup';

/**
 * Registers the cleanup cron from the module options at bootstrap (a `@Cron()` expression would be
 * fixed at class definition) and stops it on shutdown. The app provides `ScheduleModule.forRoot()`;
 * without it the job is not scheduled and `SessionService.cleanupExpiredSessions()` still works.
 */
@Injectable()
export class CleanupScheduler implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('SessionAuthCleanup');

  constructor(
    @Inject(SESSION_AUTH_RESOLVED_OPTIONS) private readonly options: ResolvedSessionAuthOptions,
    private readonly cleanup: CleanupService,
    private readonly metrics: SessionMetrics,
    @Optional() private readonly registry?: SchedulerRegistry,
  ) {}

  onApplicationBootstrap(): void {
    if (this.options.cleanupCron === false) return;
    if (!this.registry) {
      this.logger.warn(
        'ScheduleModule.forRoot() is not imported: the cleanup job is not scheduled',
      );
      return;
    }
    const job = CronJob.from({
      cronTime: this.options.cleanupCron,
      onTick: () => void this.tick(),
      start: true,
    });
    this.registry.addCronJob(JOB_NAME, job);
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
