import { defineConfig } from 'vite';
import { iconSpritePlugin } from './build/icon-sprite.ts';

// The UI is served by the gateway locally and by its own container in Kubernetes, always at `/` with the
// API at `/api` on the same origin — no proxy or base path to configure.
export default defineConfig(({ command }) => ({
  build: { outDir: 'dist', emptyOutDir: true, sourcemap: true, target: 'es2022' },
  // Vite picks `development|production` export conditions from NODE_ENV, which test runners set to `test`:
  // a build always takes Lit's production files (no dev-mode warnings, smaller).
  ...(command === 'build' ? { resolve: { conditions: ['module', 'browser', 'production'] } } : {}),
  server: { proxy: { '/api': 'http://127.0.0.1:8080' } },
  plugins: [iconSpritePlugin()],
}));
