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
// Everything a command opened is closed by now; the process ends once all output has reached
// the pipe, file or terminal it goes to (and a stray timer cannot keep it alive: see there).
await flushAndExit()
