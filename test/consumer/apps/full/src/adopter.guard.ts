import { type ExecutionContext, Injectable } from '@nestjs/common';
import { type AuthTarget, SessionAuthGuard } from 'nestjs-session-auth';

/**
 * The app's own guard, a subclass of the library's (as apps subclass nestjs/throttler's): it also
 * reads the access token from an `X-Access-Token` header, and marks each HTTP answer it guarded.
 * Nothing but the package's public types: its constructor is SessionAuthGuard's.
 */
@Injectable()
export class AdopterGuard extends SessionAuthGuard {
  protected override getRequest(context: ExecutionContext): AuthTarget | undefined {
    if (context.getType() === 'http') {
      context
        .switchToHttp()
        .getResponse<{ header(name: string, value: string): unknown }>()
        .header('x-guarded-by', 'AdopterGuard');
    }
    return super.getRequest(context);
  }

  protected override getToken(request: AuthTarget): string | undefined {
    const header = request.headers?.['x-access-token'];
    return typeof header === 'string' ? header : super.getToken(request);
  }
}
