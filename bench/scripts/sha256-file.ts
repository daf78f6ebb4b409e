// Node's sha256 over a file in 4 MiB reads: what fsnode's indexer can hope for on one core.
import { parseArgs } from 'node:util'
import { stat } from 'node:fs/promises'
import { emit, main } from '../lib/child.js'
import { sha256File } from '../lib/data.js'
import { now } from '../lib/time.js'

main(async () => {
  const { values } = parseArgs({ options: { file: { type: 'string' } } })
  if (values.file == null) throw new Error('--file is required')
  const { size } = await stat(values.file)
  const start = now()
  const sha256 = await sha256File(values.file)
  emit('result', { bytes: size, seconds: (now() - start) / 1000, sha256 })
})
