/**
 * Streams an export into one .zip file with fflate: each file is added and its bytes appended to
 * the file at once, so a large dataset never sits in memory whole. PNGs are stored (they are
 * compressed already); JSON, CSV and .npy are deflated.
 */
import { Zip, ZipDeflate, ZipPassThrough } from 'fflate'
import { UserError } from '../../shared/result'
import { checkRelPath, fileError, type ExportIo, type ExportSink } from './sink'

/** fflate writes classic (not ZIP64) archives: at most 65,535 entries and 4 GiB of offsets. */
const MAX_ENTRIES = 0xffff
const MAX_BYTES = 0xffffffff
/** Room for a local header, data descriptor and central-directory entry per file. */
const ENTRY_OVERHEAD = 512

export class ZipSink implements ExportSink {
  files = 0
  bytes = 0
  /** Bytes of the zip file written so far. */
  zipBytes = 0
  private pending: Uint8Array[] = []
  private failure: Error | null = null
  private readonly zip: Zip

  /**
   * @param file the temporary zip file to append to
   * @param shownPath the destination named in error messages
   */
  constructor(
    private readonly file: string,
    private readonly shownPath: string,
    private readonly io: ExportIo
  ) {
    // fflate calls back synchronously for the synchronous streams used here.
    this.zip = new Zip((err, chunk) => {
      if (err) this.failure = err
      else this.pending.push(chunk)
    })
  }

  async write(rel: string, data: Uint8Array, compress = false): Promise<void> {
    checkRelPath(rel)
    if (this.files + 1 > MAX_ENTRIES || this.zipBytes + data.length + ENTRY_OVERHEAD * (this.files + 1) > MAX_BYTES) {
      throw new UserError(`${this.shownPath}: too large for a zip file (over 65,535 files or 4 GiB); export to a folder instead`)
    }
    const entry = compress ? new ZipDeflate(rel, { level: 6 }) : new ZipPassThrough(rel)
    this.zip.add(entry)
    entry.push(data, true)
    await this.flush()
    this.files++
    this.bytes += data.length
  }

  /** Writes the central directory. */
  async finish(): Promise<void> {
    this.zip.end()
    await this.flush()
  }

  private async flush(): Promise<void> {
    if (this.failure) throw new UserError(`${this.shownPath}: zip failed: ${this.failure.message}`)
    if (this.pending.length === 0) return
    const size = this.pending.reduce((n, c) => n + c.length, 0)
    const chunk = new Uint8Array(size)
    let offset = 0
    for (const c of this.pending) {
      chunk.set(c, offset)
      offset += c.length
    }
    this.pending = []
    try {
      await this.io.appendFile(this.file, chunk)
    } catch (e) {
      throw fileError(e, 'write', this.shownPath)
    }
    this.zipBytes += size
  }
}
