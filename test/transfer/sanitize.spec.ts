import assert from 'node:assert/strict'
import { join, resolve, sep } from 'node:path'
import { numberedName, sanitizeName, truncateSegment } from '../../src/transfer/sanitize.js'

describe('transfer/sanitize', () => {
  const out = resolve('/tmp/fsnode-out')
  const inside = (p: string): void => { assert.ok(p.startsWith(out + sep), `${p} escapes ${out}`) }

  it('keeps ordinary names and folders', () => {
    assert.deepEqual(sanitizeName('music/a b.mp3', out), { relative: 'music/a b.mp3', path: join(out, 'music', 'a b.mp3') })
  })

  const hostile: Array<[string, string]> = [
    ['../../etc/passwd', 'etc/passwd'],
    ['/etc/passwd', 'etc/passwd'],
    ['//server/share/x', 'server/share/x'],
    ['a/../../b', 'a/b'],
    ['..\\..\\windows\\system32', 'windows/system32'],
    ['C:\\Users\\x.txt', 'Users/x.txt'],
    ['c:/x', 'x'],
    ['./././x', 'x'],
    ['a/./b//c', 'a/b/c'],
    ['bad\u0000name\n.txt', 'bad_name_.txt'],
    ['a:b|c?.txt', 'a_b_c_.txt'],
    ['trailing. ', 'trailing'],
    ['CON', '_CON'],
    ['nul.txt', '_nul.txt'],
    ['.fsnode-partial/x.part', '_fsnode-partial/x.part'],
    ['.hidden', '.hidden']
  ]
  for (const [name, want] of hostile) {
    it(`maps ${JSON.stringify(name)} inside the folder`, () => {
      const r = sanitizeName(name, out)
      assert.equal(r.relative, want)
      inside(r.path)
    })
  }

  for (const name of ['', '/', '..', '../..', '.', '\\..\\', 'C:', ' . ', '...']) {
    it(`rejects ${JSON.stringify(name)}`, () => {
      assert.throws(() => sanitizeName(name, out), (err: Error) => err.name === 'InvalidNameError')
    })
  }

  it('cuts long segments to 255 bytes without splitting characters, keeping the extension', () => {
    const long = 'é'.repeat(300) + '.txt'
    const r = sanitizeName(`dir/${long}`, out)
    const seg = r.relative.split('/')[1]
    assert.ok(Buffer.byteLength(seg) <= 255)
    assert.ok(seg.endsWith('.txt'))
    assert.ok(!seg.includes('\ufffd'))
    assert.equal(truncateSegment('abc', 255), 'abc')
  })

  it('numbers taken names before the extension', () => {
    assert.equal(numberedName(join(out, 'a.tar.gz'), 1), join(out, 'a.tar (1).gz'))
    assert.equal(numberedName(join(out, 'README'), 2), join(out, 'README (2)'))
    assert.ok(Buffer.byteLength(numberedName(join(out, 'x'.repeat(255)), 3).split(sep).pop() ?? '') <= 255)
  })
})
