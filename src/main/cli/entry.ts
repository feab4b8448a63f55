/** Process entry of the `cpcsv` command (bundled to out/node/cli.mjs). */
import { main } from './main'

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code
  },
  (e: unknown) => {
    process.stderr.write(`cpcsv: ${(e as Error)?.message ?? String(e)}\n`)
    process.exitCode = 1
  }
)
