import { randomUUID } from 'node:crypto';
import { login, me, refreshWithBody, register, type SignedIn } from '../support/auth.js';
import { type DemoProcess, startDemo } from '../support/demo-process.js';
import { expectError, expectOneOfErrors, expectStatus } from '../support/expect-http.js';

// One user must never see or end another user's sessions, whatever id they put in the URL.

let demo: DemoProcess;

beforeAll(async () => {
  demo = await startDemo({ name: 'idor' });
});

afterAll(async () => {
  await demo?.stop();
});

function terminate(actor: SignedIn, id: string) {
  return actor.client.delete(`/auth/sessions/${encodeURIComponent(id)}`, {
    token: actor.accessToken,
  });
}

async function expectActive(device: SignedIn): Promise<void> {
  expectStatus(await me(device.client, device.accessToken), 200);
}

it("user A cannot end user B's session: 404 SESSION_NOT_FOUND, and B stays signed in", async () => {
  const alice = await register(demo.baseUrl);
  const bob = await register(demo.baseUrl);

  expectError(await terminate(alice, bob.session.id), 404, 'SESSION_NOT_FOUND');

  await expectActive(bob);
  expectStatus(await refreshWithBody(bob.client, bob.refreshToken), 200);
  const bobsList = await bob.client.get('/auth/sessions', { token: bob.accessToken });
  expect(bobsList.body.map((s: { id: string }) => s.id)).toEqual([bob.session.id]);
});

it('an unknown session id answers exactly like a foreign one', async () => {
  const alice = await register(demo.baseUrl);

  expectError(await terminate(alice, randomUUID()), 404, 'SESSION_NOT_FOUND');
});

it.each(['not-a-uuid', '123', "1' OR '1'='1", '%00', 'a'.repeat(300)])(
  'a malformed id (%s) is refused with 404 or 400, never 500',
  async (id) => {
    const alice = await register(demo.baseUrl);

    expectOneOfErrors(await terminate(alice, id), [
      { status: 404, code: 'SESSION_NOT_FOUND' },
      { status: 400, code: 'VALIDATION_FAILED' },
    ]);
    await expectActive(alice);
  },
);

it("A's device list never shows B's sessions", async () => {
  const alice = await register(demo.baseUrl);
  const aliceSecond = await login(demo.baseUrl, alice.email, alice.password);
  const bob = await register(demo.baseUrl);
  await login(demo.baseUrl, bob.email, bob.password);

  const list = await alice.client.get('/auth/sessions', { token: alice.accessToken });

  expectStatus(list, 200);
  expect(list.body.map((s: { id: string }) => s.id).sort()).toEqual(
    [alice.session.id, aliceSecond.session.id].sort(),
  );
});

it("A's sign-out of all devices does not touch B", async () => {
  const alice = await register(demo.baseUrl);
  const bob = await register(demo.baseUrl);

  const response = await alice.client.delete('/auth/sessions?scope=all', {
    token: alice.accessToken,
  });

  expectStatus(response, 204);
  expectError(await me(alice.client, alice.accessToken), 401, 'SESSION_REVOKED');
  await expectActive(bob);
});
