import v8 from 'node:v8'
import vm from 'node:vm'
import * as varint from 'uint8-varint'

/** Cases per handler in a normal run; FSNODE_FUZZ_CASES=N runs more (or fewer). */
export const DEFAULT_FUZZ_CASES = 2500
/** Seed of every PRNG here; FSNODE_FUZZ_SEED=N reproduces another run. */
export const DEFAULT_FUZZ_SEED = 0x5eed
/** Heap growth (after a full GC) a fuzz run may leave behind. */
export const HEAP_MARGIN = 48 * 1024 * 1024

export function fuzzCases (): number {
  const n = Number(process.env.FSNODE_FUZZ_CASES)
  return Number.isInteger(n) && n > 0 ? n : DEFAULT_FUZZ_CASES
}

export function fuzzSeed (): number {
  const n = Number(process.env.FSNODE_FUZZ_SEED)
  return Number.isInteger(n) ? n : DEFAULT_FUZZ_SEED
}

/** mulberry32: small, fast, seeded; every case is reproducible from (seed, case number). */
export class Rng {
  private state: number

  constructor (seed: number) {
    this.state = seed >>> 0
  }

  next (): number {
    let t = (this.state = (this.state + 0x6d2b79f5) >>> 0)
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }

  /** An integer in [0, n). */
  int (n: number): number {
    return Math.floor(this.next() * n)
  }

  chance (p: number): boolean {
    return this.next() < p
  }

  pick<T> (items: readonly T[]): T {
    return items[this.int(items.length)]
  }

  bytes (n: number): Uint8Array {
    const out = new Uint8Array(n)
    for (let i = 0; i < n; i++) out[i] = this.int(256)
    return out
  }

  /** Text mixing plain words, path pieces, unicode, control characters and odd lengths. */
  text (max = 40): string {
    const parts = ['a', 'photo', 'notes.md', '/', '..', '.', '\\', ' ', '\n', '\u0000', '\u0007', 'é', '日本', '\u202e', '\u2028', '*', '"', 'NEAR(', '%s', '\ud800']
    let s = ''
    const n = this.int(max)
    for (let i = 0; i < n; i++) s += this.chance(0.7) ? this.pick(parts) : String.fromCharCode(this.int(0x3000))
    if (this.chance(0.02)) s += 'x'.repeat(this.pick([1024, 1025, 10 * 1024]))
    return s
  }
}

const concat = (...parts: Uint8Array[]): Uint8Array => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0))
  let off = 0
  for (const p of parts) { out.set(p, off); off += p.byteLength }
  return out
}

/** A varint of 10 bytes (a 64-bit value) and one that never ends within 11 bytes. */
const HUGE_VARINT = new Uint8Array([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01])
const ENDLESS_VARINT = new Uint8Array(11).fill(0xff)

/**
 * Mutate an encoded protobuf message: bit flips, truncation, inserted and deleted bytes,
 * repeated ranges (repeated fields), huge varints, fields with lying lengths and bad wire types.
 * The result is at most `max` bytes.
 */
export function mutateBody (rng: Rng, body: Uint8Array, max: number): Uint8Array {
  let out = body
  const rounds = 1 + rng.int(3)
  for (let r = 0; r < rounds; r++) {
    const at = rng.int(out.byteLength + 1)
    switch (rng.int(9)) {
      case 0: { // bit flips
        out = out.slice()
        for (let i = 0, n = 1 + rng.int(8); i < n && out.byteLength > 0; i++) out[rng.int(out.byteLength)] ^= 1 << rng.int(8)
        break
      }
      case 1: out = out.slice(0, at); break
      case 2: out = concat(out.slice(0, at), rng.bytes(1 + rng.int(32)), out.slice(at)); break
      case 3: out = concat(out.slice(0, at), out.slice(Math.min(out.byteLength, at + 1 + rng.int(16)))); break
      case 4: { // a range repeated many times: repeated fields, duplicated singular fields
        const from = rng.int(out.byteLength + 1)
        const piece = out.slice(from, from + 1 + rng.int(48))
        const times = rng.pick([2, 10, 100, 1000, 20000])
        const parts = [out.slice(0, at)]
        for (let i = 0; i < times && piece.byteLength > 0; i++) parts.push(piece)
        parts.push(out.slice(at))
        out = concat(...parts)
        break
      }
      case 5: out = concat(out.slice(0, at), rng.chance(0.5) ? HUGE_VARINT : ENDLESS_VARINT, out.slice(at)); break
      case 6: { // a length-delimited field whose length lies
        const field = 1 + rng.int(12)
        const length = rng.pick([1, 127, 128, 65_536, 2 ** 31, 2 ** 32 - 1])
        out = concat(out, varint.encode((field << 3) | 2), varint.encode(length), rng.bytes(rng.int(16)))
        break
      }
      case 7: { // an unknown field, a group (wire types 3/4) or an invalid wire type (6/7)
        const tag = (rng.pick([1, 3, 9, 15, 16, 2047, 536_870_911]) << 3) | rng.pick([0, 1, 3, 4, 5, 6, 7])
        out = concat(out.slice(0, at), varint.encode(tag >>> 0), rng.bytes(rng.int(9)), out.slice(at))
        break
      }
      default: { // interesting byte values
        out = out.slice()
        if (out.byteLength > 0) out[rng.int(out.byteLength)] = rng.pick([0x00, 0x7f, 0x80, 0xff, 0x08, 0x0a, 0x12])
      }
    }
    if (out.byteLength > max) out = out.slice(0, max)
  }
  return out
}

/**
 * The bytes a fuzz case puts on a stream: valid frames, mutated frames, frames whose length
 * prefix lies (short, long, huge, endless), pipelined mixes and plain random bytes.
 */
export function fuzzStreamBytes (rng: Rng, valid: () => Uint8Array, maxFrame: number): Uint8Array {
  const frame = (body: Uint8Array): Uint8Array => concat(varint.encode(body.byteLength), body)
  const body = valid()
  switch (rng.int(10)) {
    case 0: return rng.bytes(rng.int(rng.chance(0.9) ? 64 : 4096)) // noise
    case 1: return frame(mutateBody(rng, body, maxFrame)) // mutated, honestly framed
    case 2: return concat(frame(valid()), frame(mutateBody(rng, body, maxFrame)), frame(valid()))
    case 3: { // length prefix lies: fewer or more bytes than it says
      const claimed = Math.max(0, body.byteLength + rng.pick([-5, -1, 1, 7, 1000, maxFrame]))
      return concat(varint.encode(claimed), body)
    }
    case 4: return concat(rng.pick([HUGE_VARINT, ENDLESS_VARINT, varint.encode(maxFrame + 1), new Uint8Array([0xff, 0xff, 0xff, 0xff, 0x0f])]), body)
    case 5: return concat(varint.encode(maxFrame), rng.bytes(rng.int(256))) // the largest frame, truncated
    case 6: return frame(body).slice(0, rng.int(frame(body).byteLength)) // cut mid-frame
    case 7: return new Uint8Array(0) // open and close
    default: { // several valid requests, some mutated, pipelined
      const parts: Uint8Array[] = []
      for (let i = 0, n = 1 + rng.int(4); i < n; i++) parts.push(frame(rng.chance(0.3) ? mutateBody(rng, valid(), maxFrame) : valid()))
      return concat(...parts)
    }
  }
}

/** Records unhandled rejections while installed. */
export class RejectionGuard {
  readonly seen: unknown[] = []
  private readonly onRejection = (reason: unknown): void => { this.seen.push(reason) }

  install (): void {
    process.on('unhandledRejection', this.onRejection)
  }

  uninstall (): void {
    process.off('unhandledRejection', this.onRejection)
  }

  describe (): string {
    return this.seen.map(r => String((r as Error)?.stack ?? r)).join('\n---\n')
  }
}

let gcFn: (() => void) | undefined

/** Heap in use after a full collection (gc exposed at run time: mocha runs without flags). */
export async function settledHeap (): Promise<number> {
  if (gcFn == null) {
    v8.setFlagsFromString('--expose-gc')
    gcFn = vm.runInNewContext('gc') as () => void
  }
  for (let i = 0; i < 3; i++) {
    gcFn()
    await new Promise(resolve => setTimeout(resolve, 20))
  }
  return process.memoryUsage().heapUsed
}

/** Run `worker(i)` for i in [0, n) with `concurrency` at a time. */
export async function pool (n: number, concurrency: number, worker: (i: number) => Promise<void>): Promise<void> {
  let next = 0
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < n) await worker(next++)
  }))
}

export function hex (bytes: Uint8Array, max = 200): string {
  const s = Buffer.from(bytes.subarray(0, max)).toString('hex')
  return bytes.byteLength > max ? `${s}… (${bytes.byteLength} bytes)` : s
}
