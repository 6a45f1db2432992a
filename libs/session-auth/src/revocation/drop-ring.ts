const ID_BYTES = 36; // a uuid in its text form
const SLOTS = 1024;
const EMPTY: string[] = [];

/**
 * The session ids that the revocation thread told this process to forget, in shared memory: the
 * thread writes them and bumps a counter (Atomics, so the ids are visible before the count), the
 * main thread reads what is new before it trusts any local copy. So the thread can acknowledge an
 * announcement without waiting for the main thread's event loop: the next read there sees it.
 * One writer, one reader. A reader that fell more than 1024 ids behind learns only that it must
 * forget everything.
 */
export class DropRing {
  private readonly written: Uint32Array;
  private readonly ids: Uint8Array;
  private read: number;

  constructor(readonly buffer = new SharedArrayBuffer(4 + SLOTS * ID_BYTES)) {
    this.written = new Uint32Array(buffer, 0, 1);
    this.ids = new Uint8Array(buffer, 4);
    this.read = Atomics.load(this.written, 0);
  }

  /** Writer: adds `sessionIds` (uuids), then publishes them. */
  push(sessionIds: readonly string[]): void {
    let count = Atomics.load(this.written, 0);
    for (const id of sessionIds) {
      const at = (count % SLOTS) * ID_BYTES;
      for (let i = 0; i < ID_BYTES; i++) this.ids[at + i] = id.charCodeAt(i);
      count = (count + 1) >>> 0;
    }
    Atomics.store(this.written, 0, count);
  }

  /** Reader: the ids written since the last call, or `'all'` when some were overwritten unread. */
  take(): readonly string[] | 'all' {
    const end = Atomics.load(this.written, 0);
    const behind = (end - this.read) >>> 0;
    if (behind === 0) return EMPTY;
    const start = this.read;
    this.read = end;
    if (behind > SLOTS) return 'all';
    const taken: string[] = [];
    for (let n = start; n !== end; n = (n + 1) >>> 0) {
      const at = (n % SLOTS) * ID_BYTES;
      taken.push(String.fromCharCode(...this.ids.subarray(at, at + ID_BYTES)));
    }
    // The writer lapped this reader while it read: some slots may hold newer ids.
    if ((Atomics.load(this.written, 0) - start) >>> 0 > SLOTS) return 'all';
    return taken;
  }
}
