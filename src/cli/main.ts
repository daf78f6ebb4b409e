import { buildProgram, reportError } from './program.js'
import { exitQuietlyOnClosedPipe, flushAndExit } from './shutdown.js'

async function main (): Promise<void> {
  try {
    await buildProgram().parseAsync(process.argv)
  } catch (err) {
    process.exitCode = reportError(err)
  }
}

exitQuietlyOnClosedPipe()
await main()
// Everything a command opened is closed by now; exit so no stray timer keeps the CLI alive,
// but only once all output has reached the pipe, file or terminal it goes to.
await flushAndExit()
