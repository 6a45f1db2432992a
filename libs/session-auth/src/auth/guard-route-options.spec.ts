import { jest } from '@jest/globals';
import type { ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { Public } from './public.decorator.js';
import { RequireFreshSession } from './require-fresh-session.decorator.js';
import { RequireDeviceProof } from './require-device-proof.decorator.js';
import { GuardRouteOptionsCache } from './guard-route-options.js';

class Routes {
  open(): void {}
  @RequireFreshSession(300)
  sensitive(): void {}
  @RequireDeviceProof()
  bound(): void {}
}

@Public()
class PublicRoutes extends Routes {}

function route(handler: () => void, controller: object): ExecutionContext {
  return { getHandler: () => handler, getClass: () => controller } as unknown as ExecutionContext;
}

describe('GuardRouteOptionsCache', () => {
  it('resolves @Public(), @RequireFreshSession() and @RequireDeviceProof() as the Reflector does', () => {
    const routes = new GuardRouteOptionsCache(new Reflector());

    expect(routes.of(route(Routes.prototype.open, Routes))).toEqual({
      isPublic: false,
      freshSeconds: undefined,
      deviceProof: false,
    });
    expect(routes.of(route(Routes.prototype.sensitive, Routes))).toEqual({
      isPublic: false,
      freshSeconds: 300,
      deviceProof: false,
    });
    expect(routes.of(route(Routes.prototype.bound, Routes)).deviceProof).toBe(true);
  });

  it('asks the Reflector once per handler, however many requests follow', () => {
    const reflector = new Reflector();
    const lookups = jest.spyOn(reflector, 'getAllAndOverride');
    const routes = new GuardRouteOptionsCache(reflector);

    for (let i = 0; i < 5; i++) routes.of(route(Routes.prototype.open, Routes));

    expect(lookups).toHaveBeenCalledTimes(3); // one per metadata key
  });

  it('resolves an inherited handler again for a class with other class-level metadata', () => {
    const routes = new GuardRouteOptionsCache(new Reflector());

    expect(routes.of(route(Routes.prototype.open, Routes)).isPublic).toBe(false);
    expect(routes.of(route(Routes.prototype.open, PublicRoutes)).isPublic).toBe(true);
  });
});
