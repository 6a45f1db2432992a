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
