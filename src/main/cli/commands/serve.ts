import { Workbench } from '../../api/workbench'
import { rendererDir } from '../../paths'
import { startServer } from '../../server/serve'
import { intOption, type Command } from '../cli-kit'
import { UserError } from '../../../shared/result'
import { ensureDemoOnFirstStart } from '../../api/first-start'

/** Default serve-mode port; a busy default falls back to a free one. */
export const DEFAULT_PORT = 4870

export const serveCommand: Command = {
  name: 'serve',
  summary: 'serve the workbench on 127.0.0.1 (open the printed URL in a browser)',
  usage: 'cpcsv serve [--port <n>] [--no-demo] [--workspace <dir>]   (default port 4870, or a free one when it is taken)',
  options: { port: { type: 'string' }, 'no-demo': { type: 'boolean' } },
  async run(ctx) {
    const port = intOption(ctx.values.port, 'port', 0, 65535)
    const wb = new Workbench(ctx.workspace)
    const server = await startServer(wb, { port: port ?? DEFAULT_PORT, staticDir: rendererDir() }).catch((e: NodeJS.ErrnoException) => {
      // The default port is a convenience (bookmarks, SSH tunnels); if it is taken, any port will do.
      if (port === undefined && e.code === 'EADDRINUSE') return startServer(wb, { port: 0, staticDir: rendererDir() })
      if (e.code === 'EADDRINUSE') throw new UserError(`port ${port} is in use; choose another with --port`)
      throw e
    })
    ctx.out(`CP-CSV Workbench: ${server.startUrl}`)
    if (!ctx.values['no-demo']) ensureDemoOnFirstStart(wb)
    await new Promise<void>((resolve) => {
      const stop = (): void => resolve()
      process.once('SIGINT', stop)
      process.once('SIGTERM', stop)
    })
    await server.close()
    await wb.close()
    return 0
  }
}
