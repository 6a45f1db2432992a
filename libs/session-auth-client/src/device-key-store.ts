/** Where the device key pair lives between page loads (the private key as a non-extractable CryptoKey). */
export interface DeviceKeyStore {
  load(): Promise<CryptoKeyPair | undefined>;
  save(pair: CryptoKeyPair): Promise<void>;
  clear(): Promise<void>;
}

const DB_NAME = 'nestjs-session-auth';
const STORE = 'device-keys';

/**
 * The key pair in IndexedDB under `name` (one per API): a CryptoKey is stored by structured clone,
 * so the private key survives reloads and stays non-extractable; script can use it, never read it.
 * `undefined` where the page has no IndexedDB.
 */
export function indexedDbKeyStore(name: string): DeviceKeyStore | undefined {
  const idb = globalThis.indexedDB;
  if (!idb) return undefined;
  const run = <T>(
    mode: IDBTransactionMode,
    op: (store: IDBObjectStore) => IDBRequest,
  ): Promise<T> =>
    open(idb).then(
      (db) =>
        new Promise<T>((resolve, reject) => {
          const tx = db.transaction(STORE, mode);
          const request = op(tx.objectStore(STORE));
          tx.oncomplete = () => {
            db.close();
            resolve(request.result as T);
          };
          tx.onerror = tx.onabort = () => {
            db.close();
            reject(tx.error ?? new Error('IndexedDB transaction failed'));
          };
        }),
    );
  return {
    load: () => run<CryptoKeyPair | undefined>('readonly', (s) => s.get(name)),
    save: (pair) => run('readwrite', (s) => s.put(pair, name)),
    clear: () => run('readwrite', (s) => s.delete(name)),
  };
}

/** A store in this page's memory (tests, or `deviceKey: { store }` of an app's own). */
export function memoryKeyStore(): DeviceKeyStore {
  let kept: CryptoKeyPair | undefined;
  return {
    load: async () => kept,
    save: async (pair) => void (kept = pair),
    clear: async () => void (kept = undefined),
  };
}

function open(idb: IDBFactory): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    const request = idb.open(DB_NAME, 1);
    request.onupgradeneeded = () => request.result.createObjectStore(STORE);
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error ?? new Error('IndexedDB unavailable'));
  });
}
