import { randomUUID } from 'node:crypto';
import { DropRing } from './drop-ring.js';

/** A writer and a reader over one buffer, as the revocation thread and the main thread have them. */
function pair(): { writer: DropRing; reader: DropRing } {
  const writer = new DropRing();
  return { writer, reader: new DropRing(writer.buffer) };
}

describe('DropRing', () => {
  it('hands the reader every id written since its last read, once', () => {
    const { writer, reader } = pair();
    const first = [randomUUID(), randomUUID()];
    const second = [randomUUID()];

    expect(reader.take()).toEqual([]);
    writer.push(first);
    writer.push(second);
    expect(reader.take()).toEqual([...first, ...second]);
    expect(reader.take()).toEqual([]);
  });

  it('a reader attached later starts from what is written after it', () => {
    const writer = new DropRing();
    writer.push([randomUUID()]);
    const reader = new DropRing(writer.buffer);
    const later = randomUUID();

    writer.push([later]);

    expect(reader.take()).toEqual([later]);
  });

  it('keeps working across the end of the ring', () => {
    const { writer, reader } = pair();
    for (let round = 0; round < 5; round++) {
      const ids = Array.from({ length: 700 }, () => randomUUID());
      writer.push(ids);
      expect(reader.take()).toEqual(ids);
    }
  });

  it('tells a reader that fell more than the ring behind to forget everything', () => {
    const { writer, reader } = pair();
    writer.push(Array.from({ length: 1025 }, () => randomUUID()));

    expect(reader.take()).toBe('all');
    const next = randomUUID();
    writer.push([next]);
    expect(reader.take()).toEqual([next]);
  });
});
