import type { INestApplication, Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';

/** The app on Express. */
export function createApp(module: Type<unknown>): Promise<INestApplication> {
  return NestFactory.create<NestExpressApplication>(module);
}
