import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { bearer, issueTestSession } from 'nestjs-session-auth/testing';
import { AppModule } from './app.module.js';

// What the adopter's own tests do with `nestjs-session-auth/testing`: a session for a user without
// going through the login route. Prints the Authorization header and the session id as JSON.
const app = await NestFactory.createApplicationContext(AppModule, { logger: false });
const issued = await issueTestSession(app, process.argv[2]);
console.log(JSON.stringify({ headers: bearer(issued.accessToken), sessionId: issued.session.id }));
await app.close();
