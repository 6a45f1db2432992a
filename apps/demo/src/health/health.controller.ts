import { Controller, Get, Res } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { TypeOrmHealthIndicator } from '@nestjs/terminus';
import type { Response } from 'express';
import { ShutdownState } from '../lifecycle/shutdown-state.js';
import { DemoRedis } from '../redis/demo-redis.js';

type Status = 'up' | 'down';

/** Health body: `database` and `redis`, each `up` or `down`; Redis down is `degraded`, still 200. */
export interface HealthBody {
  status: 'ok' | 'degraded' | 'error';
  database: { status: Status };
  redis: { status: Status; backend: 'redis' | 'memory' };
}

@ApiTags('health')
@Controller('health')
export class HealthController {
  constructor(
    private readonly database: TypeOrmHealthIndicator,
    private readonly redis: DemoRedis,
    private readonly shutdown: ShutdownState,
  ) {}

  /** PostgreSQL and Redis; 503 only when PostgreSQL is down (without it nothing works). */
  @Get()
  async check(@Res({ passthrough: true }) res: Response): Promise<HealthBody> {
    const body = await this.dependencies();
    res.status(body.database.status === 'down' ? 503 : 200);
    return body;
  }

  /** Liveness: the process answers. Restart it only if this fails. */
  @Get('live')
  live(): { status: 'ok' } {
    return { status: 'ok' };
  }

  /** Readiness: send traffic here? Not while draining for shutdown, nor without PostgreSQL. */
  @Get('ready')
  async ready(
    @Res({ passthrough: true }) res: Response,
  ): Promise<HealthBody & { draining: boolean }> {
    const body = await this.dependencies();
    const ready = !this.shutdown.draining && body.database.status === 'up';
    res.status(ready ? 200 : 503);
    return { ...body, draining: this.shutdown.draining };
  }

  private async dependencies(): Promise<HealthBody> {
    const [db, redisUp] = await Promise.all([
      this.database.pingCheck('database').withTimeout(1000),
      this.redis.ping(),
    ]);
    const database: Status = db.database.status === 'up' ? 'up' : 'down';
    const redis: Status = redisUp ? 'up' : 'down';
    const status = database === 'down' ? 'error' : redis === 'down' ? 'degraded' : 'ok';
    return {
      status,
      database: { status: database },
      redis: { status: redis, backend: this.redis.configured ? 'redis' : 'memory' },
    };
  }
}
