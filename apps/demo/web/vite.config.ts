import { defineConfig } from 'vite';

/**
 * The device page. `npm run build:web` writes it to dist/web, which the demo serves at `/`.
 * `npx vite apps/demo/web` serves it with hot reload and forwards the API to a demo on :3000.
 */
const api = 'http://127.0.0.1:3000';

export default defineConfig({
  build: {
    // Relative to this folder (Vite's root).
    outDir: '../../../dist/web',
    emptyOutDir: true,
    target: 'es2022',
  },
  server: {
    proxy: {
      '/auth': api,
      '/me': api,
      '/health': api,
      '/socket.io': { target: api, ws: true },
    },
  },
});
