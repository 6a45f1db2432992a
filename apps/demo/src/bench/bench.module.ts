import { type DynamicModule, Module } from '@nestjs/common';
import { BenchController } from './bench.controller.js';
import { StockJwtStrategy } from './passport-jwt.strategy.js';

/** Benchmark-only routes (BENCH_ROUTES=1): never mounted otherwise. */
@Module({})
export class BenchModule {
  static register(jwtSecret: string): DynamicModule {
    return {
      module: BenchModule,
      controllers: [BenchController],
      providers: [{ provide: StockJwtStrategy, useFactory: () => new StockJwtStrategy(jwtSecret) }],
    };
  }
}
