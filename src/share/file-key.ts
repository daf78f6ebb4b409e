// what a file on disk is (share and the chunk server both check it): in util, below both
export { keyOf, openedInside, sameFile, sameKey } from '../util/file-key.js'
export type { FileKey } from '../util/file-key.js'
