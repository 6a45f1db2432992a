import { Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import { ExtractJwt, Strategy } from 'passport-jwt';

/**
 * The stock passport-jwt setup most Nest apps start with (string secret, no revocation check):
 * the baseline the benchmark compares SessionAuthGuard against. Mounted only with BENCH_ROUTES=1.
 */
@Injectable()
export class StockJwtStrategy extends PassportStrategy(Strategy, 'stock-jwt') {
  constructor(secret: string) {
    super({
      jwtFromRequest: ExtractJwt.fromAuthHeaderAsBearerToken(),
      secretOrKey: secret,
      algorithms: ['HS256'],
    });
  }

  validate(payload: { sub: string; sid: string }) {
    return { userId: payload.sub, sessionId: payload.sid };
  }
}
