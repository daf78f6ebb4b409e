// `node --import <this> script.js`: fsnode's V8 heap setting (src/util/heap.ts), applied before
// the script and libp2p load. As a command-line flag it would not work: V8 raises a growth factor
// below 2 to 2 at startup, and only a value set after startup is used as given.
import { tuneHeap } from '../../src/util/heap.js'

tuneHeap()
