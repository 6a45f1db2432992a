/** A tiny typed event emitter: `on` returns the function that removes the listener. */
export class Emitter<Events> {
  private readonly listeners = new Map<keyof Events, Set<(payload: never) => void>>();

  on<K extends keyof Events>(event: K, listener: (payload: Events[K]) => void): () => void {
    let set = this.listeners.get(event);
    if (!set) this.listeners.set(event, (set = new Set()));
    set.add(listener);
    return () => void set.delete(listener);
  }

  emit<K extends keyof Events>(event: K, payload: Events[K]): void {
    for (const listener of [...(this.listeners.get(event) ?? [])]) {
      // One failing listener must not keep the others (or the client) from hearing the event.
      try {
        (listener as (payload: Events[K]) => void)(payload);
      } catch (error) {
        reportLater(error);
      }
    }
  }
}

/** A value that can be read at any time and watched for changes. */
export interface Observable<T> {
  /** The current value (the same object until it changes: fit for React's useSyncExternalStore). */
  get(): T;
  /** Calls `listener` with the current value at once and after every change; returns the unsubscribe. */
  subscribe(listener: (value: T) => void): () => void;
}

export class Store<T> implements Observable<T> {
  private readonly emitter = new Emitter<{ change: T }>();

  constructor(private value: T) {}

  // Arrow functions: `get` and `subscribe` can be handed around unbound (useSyncExternalStore).
  readonly get = (): T => this.value;

  readonly subscribe = (listener: (value: T) => void): (() => void) => {
    const off = this.emitter.on('change', listener);
    listener(this.value);
    return off;
  };

  set(value: T): void {
    this.value = value;
    this.emitter.emit('change', value);
  }
}

function reportLater(error: unknown): void {
  setTimeout(() => {
    throw error;
  });
}
