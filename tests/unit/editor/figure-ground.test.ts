import { describe, expect, it } from 'vitest'
import { figureGround } from '../../../src/shared/figure-ground'

describe('figureGround', () => {
  it('is the union of all character layers as 0/255', () => {
    const pororo = Uint8Array.of(1, 1, 0, 0, 0)
    const crong = Uint8Array.of(0, 1, 0, 255, 0)
    expect(figureGround([pororo, crong], 5)).toEqual(Uint8Array.of(255, 255, 0, 255, 0))
  })

  it('is all background with no layers', () => {
    expect(figureGround([], 3)).toEqual(new Uint8Array(3))
  })

  it('does not modify its inputs', () => {
    const layer = Uint8Array.of(1, 0)
    figureGround([layer], 2)
    expect(layer).toEqual(Uint8Array.of(1, 0))
  })

  it('rejects a layer of the wrong length', () => {
    expect(() => figureGround([new Uint8Array(4)], 5)).toThrow(RangeError)
  })
})
