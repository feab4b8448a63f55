import { resolve } from 'node:path'
import { defineConfig, externalizeDepsPlugin } from 'electron-vite'
import { rendererConfig } from './vite.renderer.config'

/**
 * Electron build (main, preload, renderer) and `npm run dev` hot reload. Where the Electron
 * package is absent, `scripts/build.mjs` builds the same renderer for serve mode.
 */
export default defineConfig({
  main: {
    plugins: [externalizeDepsPlugin()],
    build: {
      outDir: resolve(__dirname, 'out/electron/main'),
      rollupOptions: {
        input: {
          index: resolve(__dirname, 'src/main/electron/main.ts'),
          'import-worker': resolve(__dirname, 'src/main/datasets/import-worker.ts'),
          'training-worker': resolve(__dirname, 'src/main/training/training-worker.ts'),
          'data-worker': resolve(__dirname, 'src/main/training/data/data-worker.ts'),
          'generation-worker': resolve(__dirname, 'src/main/training/generation-worker.ts'),
          'evaluation-worker': resolve(__dirname, 'src/main/evaluation/evaluation-worker.ts')
        },
        output: { format: 'es', entryFileNames: '[name].mjs' }
      }
    }
  },
  preload: {
    plugins: [externalizeDepsPlugin()],
    build: {
      outDir: resolve(__dirname, 'out/electron/preload'),
      rollupOptions: { input: { index: resolve(__dirname, 'src/preload/index.ts') }, output: { format: 'cjs' } }
    }
  },
  renderer: {
    ...rendererConfig(),
    build: { ...rendererConfig().build, outDir: resolve(__dirname, 'out/electron/renderer') }
  }
})
