import { jest } from '@jest/globals';
import { ConcurrencyLimit, QueueFullError } from './concurrency-limit.js';

function deferred() {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

describe('ConcurrencyLimit', () => {
  it('runs at most max tasks at once and starts the waiting ones in arrival order', async () => {
    const limit = new ConcurrencyLimit(2);
    const gates = [deferred(), deferred(), deferred(), deferred()];
    const started: number[] = [];
    let running = 0;
    let peak = 0;
    const results = gates.map((gate, i) =>
      limit.run(async () => {
        started.push(i);
        running++;
        peak = Math.max(peak, running);
        await gate.promise;
        running--;
        return i;
      }),
    );
    await new Promise((r) => setImmediate(r));
    expect(started).toEqual([0, 1]);

    gates[1].resolve();
    await new Promise((r) => setImmediate(r));
    expect(started).toEqual([0, 1, 2]);

    gates.forEach((gate) => gate.resolve());
    await expect(Promise.all(results)).resolves.toEqual([0, 1, 2, 3]);
    expect(started).toEqual([0, 1, 2, 3]);
    expect(peak).toBe(2);
  });

  it('frees its slot when a task fails', async () => {
    const limit = new ConcurrencyLimit(1);
    await expect(limit.run(() => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    await expect(limit.run(async () => 'next')).resolves.toBe('next');
  });

  it('refuses at once, with a drain estimate, when maxWaiting tasks already wait', async () => {
    const limit = new ConcurrencyLimit(1, 2);
    const gate = deferred();
    const ran: string[] = [];
    const running = limit.run(async () => {
      ran.push('running');
      await gate.promise;
    });
    const queued = [1, 2].map((i) => limit.run(async () => void ran.push(`queued ${i}`)));

    const refused = limit.run(async () => void ran.push('refused'));

    await expect(refused).rejects.toBeInstanceOf(QueueFullError);
    expect(limit.queued).toBe(2);
    gate.resolve();
    await Promise.all([running, ...queued]);
    expect(ran).toEqual(['running', 'queued 1', 'queued 2']);
    // Room again once the queue drained.
    await expect(limit.run(async () => 'later')).resolves.toBe('later');
  });

  it('drops a waiting task whose signal aborts: it never runs, and the slot goes to the next one', async () => {
    const limit = new ConcurrencyLimit(1);
    const gate = deferred();
    const ran: string[] = [];
    const running = limit.run(async () => {
      ran.push('running');
      await gate.promise;
    });
    const gone = new AbortController();
    const abandoned = limit.run(async () => void ran.push('abandoned'), gone.signal);
    const next = limit.run(async () => void ran.push('next'));

    gone.abort(new Error('client gone'));

    await expect(abandoned).rejects.toThrow('client gone');
    expect(limit.queued).toBe(1);
    gate.resolve();
    await Promise.all([running, next]);
    expect(ran).toEqual(['running', 'next']);
  });

  it('refuses a task whose signal is already aborted without queueing it', async () => {
    const limit = new ConcurrencyLimit(1);
    const gone = new AbortController();
    gone.abort(new Error('already gone'));
    const task = jest.fn(async () => 'ran');

    await expect(limit.run(task, gone.signal)).rejects.toThrow('already gone');
    expect(task).not.toHaveBeenCalled();
    await expect(limit.run(async () => 'free')).resolves.toBe('free');
  });

  it('never interrupts a running task when its signal aborts', async () => {
    const limit = new ConcurrencyLimit(1);
    const gate = deferred();
    const gone = new AbortController();
    const running = limit.run(async () => {
      await gate.promise;
      return 'finished';
    }, gone.signal);

    gone.abort();
    gate.resolve();

    await expect(running).resolves.toBe('finished');
  });
});
