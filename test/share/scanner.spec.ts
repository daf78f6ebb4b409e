import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { mkdir, rename, stat, symlink } from 'node:fs/promises'
import { createServer } from 'node:net'
import { join, relative } from 'node:path'
import { scan } from '../../src/share/scanner.js'
import { put, removeDirs, tempDir } from './helpers.js'
import type { ScannedFile } from '../../src/share/scanner.js'
import type { Server } from 'node:net'

async function names (base: string, start?: string): Promise<string[]> {
  const out: ScannedFile[] = []
  for await (const f of scan({ base, start })) out.push(f)
  return out.map(f => f.name).sort()
}

describe('share/scanner', () => {
  const dirs: string[] = []
  let root: string
  let outside: string
  let server: Server | undefined
  beforeEach(async () => {
    dirs.push(root = await tempDir('scan'))
    dirs.push(outside = await tempDir('scan-out'))
  })
  afterEach(async () => {
    server?.close()
    server = undefined
    await removeDirs(dirs)
  })

  it('yields regular files with relative names, size, mtime and inode', async () => {
    const p = await put(root, 'a/b/c.txt', 'hello')
    await put(root, 'top.bin', new Uint8Array(10))
    await mkdir(join(root, 'empty-dir'))
    const files: ScannedFile[] = []
    for await (const f of scan({ base: root })) files.push(f)
    files.sort((x, y) => x.name.localeCompare(y.name))
    assert.deepEqual(files.map(f => f.name), ['a/b/c.txt', 'top.bin'])
    assert.equal(files[0].path, p)
    assert.equal(files[0].size, 5)
    assert.ok(files[0].mtimeMs > 0 && files[0].ino > 0)
    const st = await stat(p)
    assert.deepEqual([files[0].ctimeMs, files[0].dev, files[0].ino], [st.ctimeMs, st.dev, st.ino])
  })

  it('keeps names with spaces and unicode', async () => {
    await put(root, 'mes documents/été 2024/photo (1).jpg', 'x')
    await put(root, '日本語/ファイル.txt', 'y')
    await put(root, 'emoji 🎉/a b.txt', 'z')
    assert.deepEqual(await names(root), ['emoji 🎉/a b.txt', 'mes documents/été 2024/photo (1).jpg', '日本語/ファイル.txt'])
  })

  it('follows symlinks inside the root and skips those leading out', async () => {
    await put(root, 'real/inner.txt', 'in')
    await put(outside, 'secret.txt', 'no')
    await symlink(join(root, 'real'), join(root, 'link-dir'))
    await symlink(join(root, 'real/inner.txt'), join(root, 'link-file.txt'))
    await symlink(outside, join(root, 'out-dir'))
    await symlink(join(outside, 'secret.txt'), join(root, 'out-file.txt'))
    await symlink(relative(root, outside), join(root, 'relative-out'))
    await symlink(join(root, 'nowhere'), join(root, 'dangling'))
    assert.deepEqual(await names(root), ['link-dir/inner.txt', 'link-file.txt', 'real/inner.txt'])
  })

  it('does not loop on symlink cycles', async () => {
    await put(root, 'x/f.txt', 'f')
    await put(root, 'y/g.txt', 'g')
    await symlink(join(root, 'y'), join(root, 'x/to-y'))
    await symlink(join(root, 'x'), join(root, 'y/to-x'))
    await symlink(root, join(root, 'x/to-root'))
    assert.deepEqual(await names(root), ['x/f.txt', 'x/to-y/g.txt', 'y/g.txt', 'y/to-x/f.txt'])
  })

  it('skips fifos, sockets and the node\'s own .fsnode- files', async () => {
    await put(root, 'ok.txt', 'ok')
    execFileSync('mkfifo', [join(root, 'a-fifo')])
    server = createServer()
    await new Promise<void>(resolve => server?.listen(join(root, 'a.sock'), resolve))
    await put(root, '.fsnode-partial/half.bin', 'half')
    await put(root, 'sub/.fsnode-tmp-1', 'tmp')
    await put(root, '.hidden', 'dotfiles are shared')
    assert.deepEqual(await names(root), ['.hidden', 'ok.txt'])
  })

  it('scans from a start path, and not through a symlink leading out', async () => {
    await put(root, 'a/1.txt', '1')
    await put(root, 'b/2.txt', '2')
    await put(outside, 'o.txt', 'o')
    await symlink(outside, join(root, 'out'))
    assert.deepEqual(await names(root, join(root, 'a')), ['a/1.txt'])
    assert.deepEqual(await names(root, join(root, 'b/2.txt')), ['b/2.txt'])
    assert.deepEqual(await names(root, join(root, 'out/o.txt')), [])
    assert.deepEqual(await names(root, join(root, 'missing')), [])
  })

  it('reads a followed folder through its checked real path: swapping the link afterwards leads nowhere', async () => {
    await put(root, 'top.txt', 'scanned before the folders below')
    const inside = await put(root, 'real/inner.txt', 'in')
    await put(outside, 'secret.txt', 'no')
    await symlink(join(root, 'real'), join(root, 'link'))
    const it = scan({ base: root })
    const first = await it.next()
    assert.equal(first.value?.name, 'top.txt')
    // the link was checked (it leads inside); now point it out of the share
    await symlink(outside, join(root, 'link.new'))
    await rename(join(root, 'link.new'), join(root, 'link'))
    const rest: ScannedFile[] = []
    for (let r = await it.next(); r.done !== true; r = await it.next()) rest.push(r.value)
    rest.sort((a, b) => a.name.localeCompare(b.name))
    assert.deepEqual(rest.map(f => f.name), ['link/inner.txt', 'real/inner.txt'])
    // what the scan found under the link is the file inside: the hasher checks against this
    const st = await stat(inside)
    assert.deepEqual(rest.map(f => [f.dev, f.ino]), [[st.dev, st.ino], [st.dev, st.ino]])
  })

  it('walks a very deep tree without recursion', async () => {
    let rel = ''
    for (let i = 0; i < 400; i++) rel += 'd/'
    await put(root, rel + 'deep.txt', 'deep')
    assert.deepEqual(await names(root), [rel + 'deep.txt'])
  })
})
