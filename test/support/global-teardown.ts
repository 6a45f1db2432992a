// Imports nothing relative on purpose: see the note at the top of global-setup.ts. The cleanup
// itself was registered by the global setup, which knows what it created.
export default async function globalTeardown(): Promise<void> {
  const cleanup = (globalThis as Record<symbol, unknown>)[
    Symbol.for('session-auth.e2e.cleanup')
  ] as (() => Promise<void>) | undefined;
  await cleanup?.();
}
