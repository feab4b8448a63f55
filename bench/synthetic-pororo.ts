import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { encodePngFast } from '../src/main/datasets/png-codec'
import { writeNpy } from '../src/main/datasets/npy'

/**
 * Writes a Pororo-SV-layout folder with `clips` strips of `framesPerClip` square frames
 * (side px), captions, 128/228-d vectors, labels, masks and splits: the real format, synthetic
 * pixels. Used by the import benchmark.
 */
export function writeSyntheticPororo(dir: string, clips: number, framesPerClip = 4, side = 128): void {
  const perEpisode = 100
  const keys: string[] = []
  const labels = new Map<string, unknown>()
  const captions = new Map<string, unknown>()
  const vecs = new Map<string, unknown>()
  const attrs = new Map<string, unknown>()
  mkdirSync(join(dir, 'img_segment'), { recursive: true })
  for (let c = 0; c < clips; c++) {
    const ep = `Pororo_BENCH_ep${Math.floor(c / perEpisode)}`
    const k = c % perEpisode
    const key = `${ep}/${k}`
    keys.push(key)
    mkdirSync(join(dir, ep), { recursive: true })
    const h = side * framesPerClip
    const rgb = new Uint8Array(side * h * 3)
    const grey = new Uint8Array(side * h)
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < side; x++) {
        const i = y * side + x
        const inside = (x - side / 2) ** 2 + ((y % side) - side / 2) ** 2 < (side / 4) ** 2
        rgb[i * 3] = inside ? 240 : (x * 2 + c) & 255
        rgb[i * 3 + 1] = inside ? 120 : (y + c * 7) & 255
        rgb[i * 3 + 2] = inside ? 40 : 180
        grey[i] = inside ? 255 : 0
      }
    }
    writeFileSync(join(dir, `${key}.png`), encodePngFast(side, h, 3, rgb))
    writeFileSync(join(dir, 'img_segment', `${ep}_${k}.png`), encodePngFast(side, h, 1, grey))
    const lab = new Float64Array(9)
    lab[c % 9] = 1
    labels.set(key, { dtype: 'float64', shape: [9], fortranOrder: false, data: lab })
    captions.set(key, [`Character ${c % 9} walks in clip ${k} of ${ep}.`])
    vecs.set(key, { dtype: 'float32', shape: [1, 128], fortranOrder: false, data: new Float32Array(128).fill(c / clips) })
    attrs.set(key, { dtype: 'float32', shape: [1, 228], fortranOrder: false, data: new Float32Array(228) })
  }
  const first: string[] = []
  const following: string[] = []
  keys.forEach((key, i) => {
    const k = Number(key.split('/')[1])
    if (k + 4 >= perEpisode || i + 4 >= keys.length) return
    first.push(`${key}.png`)
    for (let j = 1; j <= 4; j++) following.push(`${keys[i + j]}.png`)
  })
  const width = Math.max(...first.map((s) => s.length), ...following.map((s) => s.length))
  writeFileSync(join(dir, 'img_cache4.npy'), writeNpy({ dtype: `bytes${width}`, shape: [first.length], data: first }))
  writeFileSync(join(dir, 'following_cache4.npy'), writeNpy({ dtype: `bytes${width}`, shape: [first.length, 4], data: following }))
  const ids = (from: number, to: number) => ({ dtype: 'int64', shape: [to - from], fortranOrder: false, data: BigInt64Array.from({ length: to - from }, (_, i) => BigInt(from + i)) })
  const n = first.length
  writeFileSync(join(dir, 'train_seen_unseen_ids.npy'), writeNpy({ dtype: 'object', shape: [3], data: [ids(0, Math.floor(n * 0.8)), ids(Math.floor(n * 0.8), Math.floor(n * 0.9)), ids(Math.floor(n * 0.9), n)] }))
  for (const [name, map] of [['labels', labels], ['descriptions', captions], ['descriptions_vec', vecs], ['descriptions_attr', attrs]] as const) {
    writeFileSync(join(dir, `${name}.npy`), writeNpy({ dtype: 'object', shape: [], data: [map] }))
  }
}
