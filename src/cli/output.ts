import { ProgressDisplay } from './progress.js'
import { terminalJson } from '../util/terminal-text.js'
import type { ProgressEvent } from '../node/api.js'

/**
 * Where a command's output goes: the process's stdout (the command line), the prompt's
 * terminal, or an array in a test. Commands never write to process.stdout themselves.
 */
export interface Output {
  /** Text for the user; a newline is added. */
  print: (text: string) => void
  /** A `--json` result: names from the network stay exact, C1 and bidi controls are escaped. */
  json: (value: unknown) => void
  /** A download's progress display (a bar on a terminal, nothing elsewhere). */
  progress: (label: string) => ProgressSink
  /** A warning when stdout is taken by `--json` (stderr); absent: warnings go with print. */
  warn?: (text: string) => void
}

export interface ProgressSink {
  update: (e: ProgressEvent) => void
  stop: () => void
}

export const NO_PROGRESS: ProgressSink = { update: () => {}, stop: () => {} }

/** Output to a stream (stdout, or the prompt's terminal); progress bars go to stderr. */
export function streamOutput (stream: NodeJS.WritableStream = process.stdout): Output {
  return {
    print: text => { stream.write(text + '\n') },
    json: value => { stream.write(terminalJson(value, 2) + '\n') },
    progress: label => new ProgressDisplay(label),
    warn: text => { process.stderr.write(text + '\n') }
  }
}
