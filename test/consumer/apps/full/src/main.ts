import 'reflect-metadata';
import { SessionAuthExceptionFilter, SessionIoAdapter } from 'nestjs-session-auth';
import { AppModule } from './app.module.js';
import { createApp } from './create-app.js';
import { listen } from './listening.js';

const app = await createApp(AppModule);
// With Redis configured, socket events reach the user's sockets on every instance.
app.useWebSocketAdapter(await SessionIoAdapter.create(app));
// Framework errors (unknown route, malformed JSON) get the library's { statusCode, code, message }.
app.useGlobalFilters(new SessionAuthExceptionFilter());
await listen(app);
