import assert from 'node:assert/strict'
import { requestShares } from '../../src/transfer/shares.js'

describe('transfer/shares', () => {
  it('splits alike providers evenly, the rest to the first', () => {
    assert.deepEqual(requestShares([0, 0, 0], 8, 6), [3, 3, 2])
    assert.deepEqual(requestShares([5, 5], 8, 7), [4, 4])
    assert.deepEqual(requestShares([7], 8, 8), [8])
    assert.deepEqual(requestShares([], 8, 8), [])
  })

  it('follows measured speed, at least one each and at most the cap', () => {
    assert.deepEqual(requestShares([30, 10], 8, 7), [6, 2])
    assert.deepEqual(requestShares([100, 1, 1], 8, 6), [6, 1, 1])
    // more providers than requests: one each all the same
    assert.deepEqual(requestShares([1, 1, 1, 1, 1], 3, 2), [1, 1, 1, 1, 1])
  })

  it('counts an unmeasured provider as the average of the measured ones', () => {
    assert.deepEqual(requestShares([10, 0, 30], 8, 6), [1, 3, 4])
  })

  it('without a total, every provider its cap', () => {
    assert.deepEqual(requestShares([1, 50], Number.POSITIVE_INFINITY, 8), [8, 8])
  })

  it('never hands out more than the total when it can give everyone one', () => {
    for (const rates of [[1, 2, 3], [0, 9, 9, 1], [1e9, 1, 1, 1, 1, 1, 1]]) {
      const shares = requestShares(rates, 8, 8 - rates.length + 1)
      assert.equal(shares.reduce((a, b) => a + b, 0), 8, String(rates))
      assert.ok(shares.every(x => x >= 1))
    }
  })
})
