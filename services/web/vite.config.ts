import { defineConfig } from 'vite';
import { iconSpritePlugin } from './build/icon-sprite.ts';

// The UI is served by the gateway locally and by its own container in Kubernetes, always at `/` with the
// API at `/api` on the same origin — no proxy or base path to configure.
export default defineConfig({
  build: { outDir: 'dist', emptyOutDir: true, sourcemap: true, target: 'es2022' },
  server: { proxy: { '/api': 'http://127.0.0.1:8080' } },
  plugins: [iconSpritePlugin()],
});
