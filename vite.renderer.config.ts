import { resolve } from 'node:path'
import vue from '@vitejs/plugin-vue'
import type { UserConfig } from 'vite'

/**
 * The renderer's Vite config, shared by the serve-mode build (`scripts/build.mjs`) and the
 * Electron build (`electron.vite.config.ts`), so both ship the same app.
 */
export function rendererConfig(): UserConfig {
  return {
    root: resolve(__dirname, 'src/renderer'),
    base: './',
    plugins: [vue()],
    build: {
      outDir: resolve(__dirname, 'out/renderer'),
      emptyOutDir: true,
      chunkSizeWarningLimit: 2000
    }
  }
}

export default rendererConfig()
