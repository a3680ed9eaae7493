/**
 * Builds the dashboard into web/dist, which the server serves at `/`
 * (src/http/routes/static.ts). `npm run build:web` runs this through
 * scripts/build-web.js. For development, `npx vite web` proxies the API to a
 * running Firebreak on 127.0.0.1:7700.
 */
import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('.', import.meta.url));

export default defineConfig({
  root,
  base: '/',
  plugins: [react()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    assetsDir: 'assets',
    target: 'es2022',
    // The CSP of the server allows no inline script; keep the preload helper in a file.
    modulePreload: { polyfill: false },
    reportCompressedSize: true,
    chunkSizeWarningLimit: 300,
  },
  server: {
    proxy: { '/api': 'http://127.0.0.1:7700', '/healthz': 'http://127.0.0.1:7700' },
  },
});
