import assert from 'node:assert/strict'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { ESLint } from 'eslint'
import type { Linter } from 'eslint'

// the repo root, from dist/test/lint
const root = fileURLToPath(new URL('../../../', import.meta.url))
const { layers } = await import(pathToFileURL(`${root}eslint.layers.js`).href) as { layers: Linter.Config[] }

/** The no-restricted-imports messages the layer rules give `code` as the file `path`. */
async function violations (path: string, code: string): Promise<string[]> {
  const eslint = new ESLint({ cwd: root, overrideConfigFile: true, overrideConfig: layers })
  const [result] = await eslint.lintText(code, { filePath: `${root}${path}` })
  assert.deepEqual(result.messages.filter(m => m.fatal === true), [], 'parsed')
  return result.messages.filter(m => m.ruleId === 'no-restricted-imports').map(m => m.message)
}

describe('lint: import layers (eslint.layers.js)', function () {
  this.timeout(30_000)

  it('is part of the project eslint config', async () => {
    const { default: config } = await import(pathToFileURL(`${root}eslint.config.js`).href) as { default: Linter.Config[] }
    for (const layer of layers) assert.ok(config.includes(layer), `${String(layer.files)} in eslint.config.js`)
  })

  it('wire imports nothing of ours', async () => {
    const [why] = await violations('src/wire/x.ts', "import { SharedFile } from '../share/types.js'\nexport const x = SharedFile\n")
    assert.match(why, /src\/wire is the bottom layer/)
    assert.deepEqual(await violations('src/wire/x.ts', "import { MAX_MANIFEST_BYTES } from './constants.js'\nexport const x = MAX_MANIFEST_BYTES\n"), [])
  })

  it('transfer and index do not import share, node or cli, at any depth', async () => {
    assert.equal((await violations('src/transfer/x.ts', "import { ShareIndex } from '../share/share-index.js'\nexport const x = ShareIndex\n")).length, 1)
    assert.equal((await violations('src/index/handlers/x.ts', "import { FsNode } from '../../node/fsnode.js'\nexport const x = FsNode\n")).length, 1)
    assert.equal((await violations('src/index/x.ts', "import { main } from '../cli/main.js'\nexport const x = main\n")).length, 1)
    assert.deepEqual(await violations('src/transfer/x.ts', "import { parseFileId } from '../wire/file-id.js'\nimport { isCircuit } from '../relay/reachability.js'\nexport const x = [parseFileId, isCircuit]\n"), [])
  })

  it('host does not import the layers above it', async () => {
    assert.equal((await violations('src/host/x.ts', "import { chunkServer } from '../transfer/server.js'\nexport const x = chunkServer\n")).length, 1)
  })
})
