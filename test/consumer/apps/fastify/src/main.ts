import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { AppModule } from './app.module.js';
import { listen } from './listening.js';

await listen(await NestFactory.create<NestFastifyApplication>(AppModule, new FastifyAdapter()));
