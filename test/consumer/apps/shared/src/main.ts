import 'reflect-metadata';
import { AppModule } from './app.module.js';
import { createApp } from './create-app.js';
import { listen } from './listening.js';

await listen(await createApp(AppModule));
