import { lsCommand } from './ls.js'
import { searchCommand } from './search.js'
import { getCommand } from './get.js'
import { peersCommand, statusCommand } from './status.js'
import { shareCommand, unshareCommand } from './share.js'
import { limitCommand } from './limit.js'
import type { NodeCommand } from './command.js'

/** The commands that ask a node something, in the order help lists them. */
export const NODE_COMMANDS: readonly NodeCommand[] = [
  lsCommand, searchCommand, getCommand, statusCommand, peersCommand, shareCommand, limitCommand, unshareCommand
]
