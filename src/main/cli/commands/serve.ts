import { Workbench } from '../../api/workbench'
import { rendererDir } from '../../paths'
import { startServer } from '../../server/serve'
import { intOption, type Command } from '../cli-kit'
import { ensureDemoOnFirstStart } from '../../api/first-start'

export const serveCommand: Command = {
  name: 'serve',
  summary: 'serve the workbench on 127.0.0.1 (open the printed URL in a browser)',
  usage: 'cpcsv serve [--port <n>] [--no-demo] [--workspace <dir>]',
  options: { port: { type: 'string' }, 'no-demo': { type: 'boolean' } },
  async run(ctx) {
    const port = intOption(ctx.values.port, 'port', 0, 65535)
    const wb = new Workbench(ctx.workspace)
    const server = await startServer(wb, { port: port ?? 0, staticDir: rendererDir() })
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
