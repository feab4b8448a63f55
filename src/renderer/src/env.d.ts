/// <reference types="vite/client" />
declare module '*.vue' {
  import type { DefineComponent } from 'vue'
  const component: DefineComponent<object, object, unknown>
  export default component
}

/** Exposed by the Electron preload script (src/preload); absent in serve mode. */
interface CpcsvBridge {
  invoke(channel: string, request: unknown): Promise<unknown>
  onEvent(listener: (event: unknown) => void): () => void
  assetBase: string
}
interface Window {
  cpcsv?: CpcsvBridge
}
