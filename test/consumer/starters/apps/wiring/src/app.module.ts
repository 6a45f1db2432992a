import { Module } from '@nestjs/common';
import { AccountsController } from './accounts.controller.js';
import { AppController } from './app.controller.js';
import { AppService } from './app.service.js';
import { sessionAuthImports } from './session-auth-imports.js';

// The starter's AppModule after adoption: TypeORM with the package's entities and migrations, the
// module with its required option (session-auth-imports.ts), and the app's own sign-in route.
@Module({
  imports: sessionAuthImports(),
  controllers: [AppController, AccountsController],
  providers: [AppService],
})
export class AppModule {}
