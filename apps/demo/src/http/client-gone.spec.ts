import { EventEmitter } from 'node:events';
import { clientGoneSignal } from './client-gone.js';

function response(writableFinished: boolean) {
  return Object.assign(new EventEmitter(), { writableFinished });
}

describe('clientGoneSignal', () => {
  it('aborts when the connection closes before the response is finished', () => {
    const res = response(false);
    const signal = clientGoneSignal(res);

    res.emit('close');

    expect(signal.aborted).toBe(true);
  });

  it('does not abort when the close follows a finished response', () => {
    const res = response(true);
    const signal = clientGoneSignal(res);

    res.emit('close');

    expect(signal.aborted).toBe(false);
  });

  it('takes a Fastify reply through its raw Node response', () => {
    const raw = response(false);
    const signal = clientGoneSignal({ raw });

    raw.emit('close');

    expect(signal.aborted).toBe(true);
  });
});
