import { EventEmitter } from 'node:events';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { PinoLogger } from 'nestjs-pino';
import { pino } from 'pino';
import { logRequestWhenDone } from './logging.module.js';

/** A root logger writing into `lines`, as nestjs-pino's would write to stdout. */
function useRootLogger(level: string): Record<string, unknown>[] {
  const lines: Record<string, unknown>[] = [];
  const root = pino({ level }, { write: (line: string) => void lines.push(JSON.parse(line)) });
  (PinoLogger as unknown as { root: unknown }).root = root;
  return lines;
}

function exchange(statusCode: number, err?: Error) {
  const req = { method: 'GET', url: '/me?token=secret', headers: {} } as IncomingMessage;
  const res = Object.assign(new EventEmitter(), { statusCode, err }) as unknown as ServerResponse;
  return { req, res, close: () => res.emit('close') };
}

const production = process.env.NODE_ENV;
beforeAll(() => (process.env.NODE_ENV = 'production'));
afterAll(() => {
  process.env.NODE_ENV = production;
  (PinoLogger as unknown as { root: unknown }).root = undefined;
});

it('writes one line when the response closes, with the id, method, path (no query) and status', () => {
  const lines = useRootLogger('info');
  const { req, res, close } = exchange(404);
  logRequestWhenDone(req, res, 'req-1');
  expect(lines).toEqual([]);
  close();
  close();
  expect(lines).toEqual([
    expect.objectContaining({
      level: 30,
      msg: 'request completed',
      req: { id: 'req-1', method: 'GET', path: '/me' },
      res: { statusCode: 404 },
      responseTime: expect.any(Number),
    }),
  ]);
});

it('writes no line for a success at the deployed level, and one at debug', () => {
  const quiet = useRootLogger('info');
  const first = exchange(200);
  logRequestWhenDone(first.req, first.res, 'req-2');
  first.close();
  expect(quiet).toEqual([]);

  const verbose = useRootLogger('debug');
  const second = exchange(200);
  logRequestWhenDone(second.req, second.res, 'req-3');
  second.close();
  expect(verbose).toEqual([
    expect.objectContaining({ level: 20, req: expect.objectContaining({ id: 'req-3' }) }),
  ]);
});

it('a failure is an error line carrying the error the filter left on the response', () => {
  const lines = useRootLogger('info');
  const { req, res, close } = exchange(500, new Error('boom'));
  logRequestWhenDone(req, res, 'req-4');
  close();
  expect(lines).toEqual([
    expect.objectContaining({
      level: 50,
      msg: 'request errored',
      req: expect.objectContaining({ id: 'req-4' }),
      err: expect.objectContaining({ message: 'boom' }),
    }),
  ]);
});
