import assert from 'node:assert/strict'
import { ChunkResponse } from '../../src/wire/chunk.js'
import { ChunkHashMismatchError, ChunkSupersededError, ProtocolViolationError, StreamClosedError } from '../../src/transfer/errors.js'
import { checkWanted, retirementFor, retirementForStatus } from '../../src/transfer/stream-retire.js'

const midway = { downloadEnded: false, timedOut: false, answered: 3, pending: 2 }

describe('transfer/stream-retire', () => {
  it('ends every stream when the download ended: an idle one closed, a busy one reset, no strike', () => {
    assert.deepEqual(retirementFor(new Error('aborted'), { ...midway, pending: 0, downloadEnded: true }),
      { end: 'stop', reason: 'cancelled', reset: false, strike: false })
    assert.deepEqual(retirementFor(new Error('aborted'), { ...midway, downloadEnded: true }),
      { end: 'stop', reason: 'cancelled', reset: true, strike: false })
  })

  it('drops a stream whose chunk was superseded and reopens, without blaming the provider', () => {
    let err: unknown
    try { checkWanted(false, 7) } catch (e) { err = e }
    assert.ok(err instanceof ChunkSupersededError)
    assert.doesNotThrow(() => { checkWanted(true, 7) })
    const r = retirementFor(err, midway)
    assert.equal(r.end, 'reopen')
    assert.equal(r.reset, true)
    assert.equal(r.strike, false)
  })

  it('blames the provider for bad data and stalls, and reopens', () => {
    assert.equal(retirementFor(new ChunkHashMismatchError('x'), midway).reason, 'bad-data')
    assert.equal(retirementFor(new ProtocolViolationError('x'), midway).reason, 'bad-data')
    const stalled = retirementFor(new Error('aborted'), { ...midway, timedOut: true })
    assert.deepEqual(stalled, { end: 'reopen', reason: 'timeout', reset: true, strike: true })
  })

  it('gives up a slot reset before any answer (the provider\'s stream limit), with no strike', () => {
    const r = retirementFor(new StreamClosedError('reset'), { ...midway, answered: 0 })
    assert.equal(r.end, 'stop')
    assert.equal(r.strike, false)
    assert.equal(retirementFor(new StreamClosedError('reset'), midway).strike, true)
  })

  it('redials, with no strike, when the stream went with its connection (a relayed one closed after DCUtR)', () => {
    // before any answer: not the provider's stream limit, so the slot is not given up
    const early = retirementFor(new StreamClosedError('reset'), { ...midway, answered: 0, connectionClosed: true })
    assert.equal(early.end, 'redial')
    assert.equal(early.strike, false)
    assert.equal(retirementFor(new StreamClosedError('reset'), { ...midway, connectionClosed: true }).end, 'redial')
    // a stall is still the provider's, closed connection or not
    assert.equal(retirementFor(new Error('aborted'), { ...midway, timedOut: true, connectionClosed: true }).reason, 'timeout')
  })

  it('stops on BUSY, reopens on BAD_REQUEST, goes on after NOT_FOUND', () => {
    assert.equal(retirementForStatus(ChunkResponse.Status.BUSY), 'stop')
    assert.equal(retirementForStatus(ChunkResponse.Status.BAD_REQUEST), 'reopen')
    assert.equal(retirementForStatus(ChunkResponse.Status.NOT_FOUND), undefined)
  })
})
