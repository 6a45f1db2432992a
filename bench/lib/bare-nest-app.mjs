// The ceiling for the demo's unguarded route: a bare Nest app (platform-express, default options,
// one GET route answering the same body as /bench/unguarded), started as a real process by
// lib/demo.mjs with `entry` set to this file. Plain JS, so decorators are applied as functions.
import 'reflect-metadata';
import { Controller, Get, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';

class BareController {
  unguarded() {
    return { ok: true };
  }
}
const proto = BareController.prototype;
Get('unguarded')(proto, 'unguarded', Object.getOwnPropertyDescriptor(proto, 'unguarded'));
Controller('bench')(BareController);

class BareModule {}
Module({ controllers: [BareController] })(BareModule);

const app = await NestFactory.create(BareModule, { logger: ['error', 'warn'] });
await app.listen(Number(process.env.PORT), '127.0.0.1');
// Exit (rather than die of the signal, as enableShutdownHooks() does) so that node writes the
// --cpu-prof profile of bench/profile.mjs, as the demo does.
process.once('SIGTERM', () => void app.close().finally(() => process.exit(0)));
