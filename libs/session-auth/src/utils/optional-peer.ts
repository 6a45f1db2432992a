/**
 * A module loaded on first use, in whichever module system runs this code. The published build is
 * CommonJS, where `require` loads it: Jest's CommonJS runtime (the runner of most Nest 11 apps)
 * rejects a dynamic `import()` unless started with --experimental-vm-modules. This repository's
 * own Jest runs the sources as ES modules, which have no `require`: `import()` loads it there.
 * Both thunks name the same module, written out at the call site so relative paths resolve there.
 */
export function lazyModule<T>(
  required: () => unknown,
  imported: () => Promise<T>,
): () => Promise<T> {
  if (typeof require !== 'function') return imported;
  return () => new Promise<T>((resolve) => resolve(required() as T));
}

/**
 * Loads an optional peer dependency when the feature that needs it is switched on, so an app that
 * does not use the feature neither installs nor loads it. A missing package fails start-up with a
 * message naming the package and the feature.
 */
export async function importOptionalPeer<T>(
  name: string,
  feature: string,
  load: () => Promise<T>,
): Promise<T> {
  try {
    return await load();
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') {
      throw new Error(
        `nestjs-session-auth: ${feature} needs the package "${name}" (npm install ${name})`,
        { cause: error },
      );
    }
    throw error;
  }
}
