/**
 * Vite builds the dashboard page (index.html, main.ts, uPlot) into
 * dist/dashboard-web, where clients/dashboard/server.ts serves it from.
 * `npm run build` runs it (`npm run build:web`).
 */
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const here = (p: string): string => fileURLToPath(new URL(p, import.meta.url));

export default defineConfig({
  root: here('.'),
  // Relative asset URLs: the page works under any path prefix a reverse proxy puts it at.
  base: './',
  logLevel: 'warn',
  build: {
    outDir: here('../../../dist/dashboard-web'),
    emptyOutDir: true,
    // The page is small and served locally: one readable bundle, with its source map for the browser's debugger.
    sourcemap: true,
  },
});
