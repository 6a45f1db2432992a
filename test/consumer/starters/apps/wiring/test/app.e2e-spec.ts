import { Test, TestingModule } from '@nestjs/testing';
import { INestApplication } from '@nestjs/common';
import request from 'supertest';
import type { App } from 'supertest/types.js';
import { AppModule } from './../src/app.module.js';

// The starter's own e2e test (test/app.e2e-spec.ts as `nest new` writes it) plus what an adopter
// adds: sign in through the app's route and call a guarded one. Run by the starter's own runner
// and configuration (Jest with ts-jest, or Vitest), unchanged.
describe('AppController (e2e)', () => {
  let app: INestApplication<App>;

  beforeEach(async () => {
    const moduleFixture: TestingModule = await Test.createTestingModule({
      imports: [AppModule],
    }).compile();

    app = moduleFixture.createNestApplication();
    await app.init();
  });

  it('/ (GET)', () => {
    return request(app.getHttpServer()).get('/').expect(200).expect('Hello World!');
  });

  it('signs in and calls the guarded route', async () => {
    const server = app.getHttpServer();
    const refused = await request(server).get('/me').expect(401);
    expect(refused.body.code).toBe('ACCESS_TOKEN_MISSING');

    const login = await request(server)
      .post('/login')
      .send({ username: 'ada', password: 'correct horse battery staple' })
      .expect(200);
    const me = await request(server)
      .get('/me')
      .set('Authorization', `Bearer ${login.body.accessToken}`)
      .expect(200);
    expect(me.body).toEqual({ userId: 'user-ada', sessionId: login.body.session.id });
  });

  afterEach(async () => {
    await app.close();
  });
});
