import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { AppModule } from './app.module.js';
import { listen } from './listening.js';

await listen(await NestFactory.create<NestExpressApplication>(AppModule));
