import { Controller, Get, Inject, Res } from '@nestjs/common';
import { TypeOrmHealthIndicator } from '@nestjs/terminus';
import { SessionCache } from '#session-auth';
import type { Response } from 'express';

type Status = 'up' | 'down';

/** Health body: `database` and `redis`, each `up` or `down`; Redis down is `degraded`, still 200. */
export interface HealthBody {
  status: 'ok' | 'degraded' | 'error';
  database: { status: Status };
  redis: { status: Status; backend: 'redis' | 'memory' };
}

@Controller('health')
export class HealthController {
  constructor(
    private readonly database: TypeOrmHealthIndicator,
    @Inject(SessionCache) private readonly cache: SessionCache,
  ) {}

  @Get()
  async check(@Res({ passthrough: true }) res: Response): Promise<HealthBody> {
    const [db, redisUp] = await Promise.all([
      this.database.pingCheck('database').withTimeout(1000),
      this.cache.ping(),
    ]);
    const database: Status = db.database.status === 'up' ? 'up' : 'down';
    const redis: Status = redisUp ? 'up' : 'down';
    const status = database === 'down' ? 'error' : redis === 'down' ? 'degraded' : 'ok';
    res.status(database === 'down' ? 503 : 200);
    return { status, database: { status: database }, redis: { status: redis, backend: this.cache.kind } };
  }
}
