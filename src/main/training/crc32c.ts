/**
 * CRC-32C (Castagnoli) and the "masked" variant that TFRecord framing stores.
 *
 * Written by hand because TensorBoard event files need it and no dependency we ship provides
 * it; zlib's crc32 uses a different polynomial. Pure: no Node APIs, so the event reader can
 * run anywhere.
 */

/** Reflected Castagnoli polynomial (0x1EDC6F41 bit-reversed). */
const CASTAGNOLI_REFLECTED = 0x82f63b78

/** Constant TensorFlow adds after rotating, see `tensorflow/core/lib/hash/crc32c.h`. */
const MASK_DELTA = 0xa282ead8

/** Slice-by-4 tables: byte-at-a-time is fast enough for scalars, but PNG samples can be large. */
const TABLES: Uint32Array[] = buildTables()

function buildTables(): Uint32Array[] {
  const base = new Uint32Array(256)
  for (let n = 0; n < 256; n++) {
    let c = n
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ CASTAGNOLI_REFLECTED : c >>> 1
    base[n] = c >>> 0
  }
  const tables = [base]
  for (let t = 1; t < 4; t++) {
    const previous = tables[t - 1]
    const next = new Uint32Array(256)
    for (let n = 0; n < 256; n++) next[n] = (previous[n] >>> 8) ^ base[previous[n] & 0xff]
    tables.push(next)
  }
  return tables
}

/**
 * CRC-32C of `bytes[start, end)`.
 *
 * @param bytes data to checksum
 * @param start first byte index (default 0)
 * @param end one past the last byte index (default `bytes.length`)
 * @returns the checksum as an unsigned 32-bit integer, e.g. `crc32c("123456789") === 0xE3069283`
 */
export function crc32c(bytes: Uint8Array, start = 0, end = bytes.length): number {
  const [t0, t1, t2, t3] = TABLES
  let crc = 0xffffffff
  let i = start
  for (; i + 4 <= end; i += 4) {
    crc ^= bytes[i] | (bytes[i + 1] << 8) | (bytes[i + 2] << 16) | (bytes[i + 3] << 24)
    crc = t3[crc & 0xff] ^ t2[(crc >>> 8) & 0xff] ^ t1[(crc >>> 16) & 0xff] ^ t0[crc >>> 24]
  }
  for (; i < end; i++) crc = t0[(crc ^ bytes[i]) & 0xff] ^ (crc >>> 8)
  return (crc ^ 0xffffffff) >>> 0
}

/**
 * Masks a CRC the way TFRecord does: rotate right by 15 bits, then add 0xa282ead8 (mod 2^32).
 * TensorFlow masks because checksumming data that itself embeds CRCs is otherwise weak.
 *
 * @param crc unsigned 32-bit CRC-32C
 * @returns the masked value, unsigned 32-bit
 */
export function maskCrc32c(crc: number): number {
  return ((((crc >>> 15) | (crc << 17)) >>> 0) + MASK_DELTA) >>> 0
}

/**
 * Masked CRC-32C of `bytes[start, end)`, the value stored in TFRecord headers and footers.
 *
 * @returns unsigned 32-bit integer
 */
export function maskedCrc32c(bytes: Uint8Array, start = 0, end = bytes.length): number {
  return maskCrc32c(crc32c(bytes, start, end))
}
