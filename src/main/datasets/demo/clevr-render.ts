/**
 * 2.5-D renderer for the CLEVR-SV-like demo: a pinhole camera placed like CLEVR's, a grey
 * ground plane with soft shadows, and shaded spheres (per-pixel normals), cubes (three flat
 * faces from the projected box) and cylinders (shaded body plus a lighter top ellipse). Metal
 * is darker with a sharp highlight and a ground reflection; rubber is matte. Object pixels are
 * hard-edged and owned by the object's slot (1..4) so masks are exact; shadows only tint ground.
 */
import { CLEVR_COLOR_RGB, CLEVR_RIGHT, type ClevrObject, clevrCenterHeight, clevrRadius } from './clevr-scene'
import { rgb, Raster } from './raster'

type Vec3 = [number, number, number]

const dot = (a: Vec3, b: Vec3): number => a[0] * b[0] + a[1] * b[1] + a[2] * b[2]
function normalize(a: Vec3): Vec3 {
  const n = Math.hypot(a[0], a[1], a[2])
  return [a[0] / n, a[1] / n, a[2] / n]
}

/** CLEVR's default camera position; it looks at the origin. */
const EYE: Vec3 = [7.4811, -6.5076, 5.3437]
const RIGHT: Vec3 = [CLEVR_RIGHT[0], CLEVR_RIGHT[1], 0]
const FORWARD = normalize([-EYE[0], -EYE[1], -EYE[2]])
const UP = normalize([-FORWARD[2] * FORWARD[0], -FORWARD[2] * FORWARD[1], 1 - FORWARD[2] * FORWARD[2]])
/** Towards the key light: from the camera's left, a little in front, well above. */
const LIGHT = normalize([
  -0.6 * RIGHT[0] + 0.35 * RIGHT[1],
  -0.6 * RIGHT[1] - 0.35 * RIGHT[0],
  1
])
const HALF = normalize([LIGHT[0] - FORWARD[0], LIGHT[1] - FORWARD[1], LIGHT[2] - FORWARD[2]])

/** Camera coordinates (right, up, depth) of a world point. */
function toCamera(p: Vec3): Vec3 {
  const d: Vec3 = [p[0] - EYE[0], p[1] - EYE[1], p[2] - EYE[2]]
  return [dot(d, RIGHT), dot(d, UP), dot(d, FORWARD)]
}

/**
 * Lens fitted once so a ground disc of radius FIT_RADIUS, with objects on it, fills the square
 * frame (CLEVR's 4:3 lens would leave a 64×64 frame mostly empty). The [-3, 3]² placement square
 * is seen corner-on, so objects near its far corners may be cut by the frame edge, as in CLEVR;
 * scenes where one is nearly out of view are redrawn (see renderClevrScene).
 */
const FIT_RADIUS = 3.3
const LENS = (() => {
  let minX = Infinity
  let maxX = -Infinity
  let minY = Infinity
  let maxY = -Infinity
  for (let i = 0; i < 64; i++) {
    const a = (i / 64) * 2 * Math.PI
    for (const z of [0, 1.2]) {
      const c = toCamera([FIT_RADIUS * Math.cos(a), FIT_RADIUS * Math.sin(a), z])
      minX = Math.min(minX, c[0] / c[2])
      maxX = Math.max(maxX, c[0] / c[2])
      minY = Math.min(minY, c[1] / c[2])
      maxY = Math.max(maxY, c[1] / c[2])
    }
  }
  const focal = 1 / Math.max(maxX - minX, maxY - minY)
  return { focal, cx: 0.5 - focal * ((minX + maxX) / 2), cy: 0.5 + focal * ((minY + maxY) / 2) }
})()

/** Pixel coordinates of a world point in a size×size frame, plus its camera depth. */
function project(p: Vec3, size: number): [number, number, number] {
  const c = toCamera(p)
  return [(LENS.cx + (LENS.focal * c[0]) / c[2]) * size, (LENS.cy - (LENS.focal * c[1]) / c[2]) * size, c[2]]
}

/**
 * True when the object's projected outline lies inside the frame (checked on its bounding
 * sphere, independent of frame size), so no object is cut by the frame edge.
 */
export function clevrInView(o: ClevrObject): boolean {
  const r = clevrRadius(o)
  const z = clevrCenterHeight(o)
  const [x, y, depth] = project([o.x, o.y, z], 1)
  const reach = (LENS.focal * r * (o.shape === 1 ? 1 : 1.5)) / depth
  return x - reach >= 0 && x + reach <= 1 && y - reach >= 0 && y + reach <= 1
}

/** Lit colour of a surface point with world normal n. */
function shade(base: number, metal: boolean, n: Vec3): number {
  const diffuse = Math.max(0, dot(n, LIGHT))
  const highlight = Math.max(0, dot(n, HALF))
  let k: number
  let add: number
  if (metal) {
    // Mirror-like: little diffuse, a sharp highlight, and the grey ground reflected below.
    const facingDown = Math.max(0, -n[2])
    k = 0.22 + 0.55 * diffuse
    add = 230 * Math.pow(highlight, 40) + 38 * facingDown + 18
  } else {
    k = 0.34 + 0.74 * diffuse
    add = 24 * Math.pow(highlight, 6)
  }
  return rgb(((base >> 16) & 255) * k + add, ((base >> 8) & 255) * k + add, (base & 255) * k + add)
}

/** Per frame size: the lit ground without shadows and the world x, y seen through each pixel. */
interface GroundCache {
  rgb: Uint8Array
  light: Float32Array
  gx: Float32Array
  gy: Float32Array
}
const groundCache = new Map<number, GroundCache>()

/** Casts a ray through every pixel once per frame size; every frame reuses the result. */
function groundFor(size: number): GroundCache {
  const cached = groundCache.get(size)
  if (cached) return cached
  const n = size * size
  const ground: GroundCache = { rgb: new Uint8Array(n * 3), light: new Float32Array(n), gx: new Float32Array(n), gy: new Float32Array(n) }
  for (let py = 0; py < size; py++) {
    for (let px = 0; px < size; px++) {
      const u = ((px + 0.5) / size - LENS.cx) / LENS.focal
      const v = (LENS.cy - (py + 0.5) / size) / LENS.focal
      const dx = FORWARD[0] + u * RIGHT[0] + v * UP[0]
      const dy = FORWARD[1] + u * RIGHT[1] + v * UP[1]
      const dz = FORWARD[2] + v * UP[2]
      // Rays at or above the horizon count as far ground (the lens never shows sky in practice).
      const t = dz < -1e-3 ? Math.min(60, -EYE[2] / dz) : 60
      const i = py * size + px
      ground.gx[i] = EYE[0] + t * dx
      ground.gy[i] = EYE[1] + t * dy
      // A soft pool of key light left of centre, fading with distance from the camera.
      const pool = Math.exp(-((ground.gx[i] + 1) ** 2 + (ground.gy[i] - 1) ** 2) / 30)
      ground.light[i] = 138 + 26 * pool - Math.min(20, t * 0.8)
      const c = rgb(ground.light[i], ground.light[i], ground.light[i] + 3)
      ground.rgb.set([(c >> 16) & 255, (c >> 8) & 255, c & 255], i * 3)
    }
  }
  groundCache.set(size, ground)
  return ground
}

/** Direction shadows fall in (ground units per unit of height) and their elongation. */
const SHADOW_X = -LIGHT[0] / LIGHT[2]
const SHADOW_Y = -LIGHT[1] / LIGHT[2]
const SHADOW_ALONG = normalize([SHADOW_X, SHADOW_Y, 0])
const SHADOW_STRETCH = 1 + 0.35 * Math.hypot(SHADOW_X, SHADOW_Y)

/** Grey ground under a soft key-light pool, darkened by each object's soft shadow. */
function drawGround(raster: Raster, objects: readonly ClevrObject[]): void {
  const size = raster.width
  const ground = groundFor(size)
  raster.rgb.set(ground.rgb)
  raster.owner.fill(0)
  const factor = new Float32Array(size * size).fill(1)
  for (const o of objects) {
    // An ellipse around the ground point below the object centre along the light, stretched
    // along the light direction and fading out smoothly past its rim. Only pixels inside the
    // projection of its bounding square are visited.
    const h = clevrCenterHeight(o)
    const cx = o.x + SHADOW_X * h
    const cy = o.y + SHADOW_Y * h
    const r = clevrRadius(o) * 1.05
    const reach = r * 1.3 * SHADOW_STRETCH
    let [x0, y0, x1, y1] = [size, size, 0, 0]
    for (const [kx, ky] of [[-1, -1], [1, -1], [1, 1], [-1, 1]]) {
      const [px, py] = project([cx + kx * reach, cy + ky * reach, 0], size)
      ;[x0, y0, x1, y1] = [Math.min(x0, px), Math.min(y0, py), Math.max(x1, px), Math.max(y1, py)]
    }
    for (let py = Math.max(0, Math.floor(y0)); py < Math.min(size, Math.ceil(y1)); py++) {
      for (let px = Math.max(0, Math.floor(x0)); px < Math.min(size, Math.ceil(x1)); px++) {
        const i = py * size + px
        const dx = ground.gx[i] - cx
        const dy = ground.gy[i] - cy
        const a = (dx * SHADOW_ALONG[0] + dy * SHADOW_ALONG[1]) / SHADOW_STRETCH
        const b = -dx * SHADOW_ALONG[1] + dy * SHADOW_ALONG[0]
        const q = Math.sqrt(a * a + b * b) / r
        if (q < 1.3) factor[i] *= 1 - 0.5 * smooth((1.3 - q) / 0.75)
      }
    }
  }
  for (let i = 0; i < factor.length; i++) {
    if (factor[i] === 1) continue
    const light = ground.light[i] * factor[i]
    raster.rgb[i * 3] = channelOf(light)
    raster.rgb[i * 3 + 1] = channelOf(light)
    raster.rgb[i * 3 + 2] = channelOf(light + 3)
  }
}

function channelOf(v: number): number {
  return v <= 0 ? 0 : v >= 255 ? 255 : Math.round(v)
}

function smooth(t: number): number {
  const c = t < 0 ? 0 : t > 1 ? 1 : t
  return c * c * (3 - 2 * c)
}

function drawSphere(raster: Raster, o: ClevrObject, owner: number): void {
  const r = clevrRadius(o)
  const [px, py, depth] = project([o.x, o.y, r], raster.width)
  const radius = (LENS.focal * r * raster.width) / depth
  const base = CLEVR_COLOR_RGB[o.color]
  raster.fillEllipse(px, py, radius, radius, (x, y) => {
    const dx = (x - px) / radius
    const dy = (py - y) / radius
    const dz = Math.sqrt(Math.max(0, 1 - dx * dx - dy * dy))
    const n: Vec3 = [
      dx * RIGHT[0] + dy * UP[0] - dz * FORWARD[0],
      dx * RIGHT[1] + dy * UP[1] - dz * FORWARD[1],
      dy * UP[2] - dz * FORWARD[2]
    ]
    return shade(base, o.material === 1, n)
  }, owner)
}

function drawCube(raster: Raster, o: ClevrObject, owner: number): void {
  const s = clevrCenterHeight(o)
  const ux: Vec3 = [Math.cos(o.rotation), Math.sin(o.rotation), 0]
  const uy: Vec3 = [-ux[1], ux[0], 0]
  const uz: Vec3 = [0, 0, 1]
  const neg = (v: Vec3): Vec3 => [-v[0], -v[1], -v[2]]
  // Each face: outward normal and two in-plane axes; the bottom face is never visible.
  const faces: [Vec3, Vec3, Vec3][] = [[ux, uy, uz], [neg(ux), uy, uz], [uy, ux, uz], [neg(uy), ux, uz], [uz, ux, uy]]
  const base = CLEVR_COLOR_RGB[o.color]
  for (const [n, a, b] of faces) {
    const fc: Vec3 = [o.x + n[0] * s, o.y + n[1] * s, s + n[2] * s]
    if (n[0] * (EYE[0] - fc[0]) + n[1] * (EYE[1] - fc[1]) + n[2] * (EYE[2] - fc[2]) <= 0) continue
    const points: number[] = []
    for (const [ka, kb] of [[-1, -1], [1, -1], [1, 1], [-1, 1]]) {
      const p: Vec3 = [
        fc[0] + (a[0] * ka + b[0] * kb) * s,
        fc[1] + (a[1] * ka + b[1] * kb) * s,
        fc[2] + (a[2] * ka + b[2] * kb) * s
      ]
      const [x, y] = project(p, raster.width)
      points.push(x, y)
    }
    raster.fillPolygon(points, shade(base, o.material === 1, n), owner)
  }
}

function drawCylinder(raster: Raster, o: ClevrObject, owner: number): void {
  const r = clevrRadius(o)
  const size = raster.width
  const rim = (z: number): number[] => {
    const out: number[] = []
    for (let i = 0; i < 24; i++) {
      const a = (i / 24) * 2 * Math.PI
      const [x, y] = project([o.x + r * Math.cos(a), o.y + r * Math.sin(a), z], size)
      out.push(x, y)
    }
    return out
  }
  const top = rim(2 * r)
  const [ax, , depth] = project([o.x, o.y, r], size)
  const half = (LENS.focal * r * size) / depth
  const base = CLEVR_COLOR_RGB[o.color]
  const metal = o.material === 1
  const toward = normalize([-FORWARD[0], -FORWARD[1], 0])
  raster.fillPolygon(convexHull([...rim(0), ...top]), (x) => {
    const t = Math.max(-1, Math.min(1, (x - ax) / half))
    const w = Math.sqrt(1 - t * t)
    return shade(base, metal, [t * RIGHT[0] + w * toward[0], t * RIGHT[1] + w * toward[1], 0])
  }, owner)
  raster.fillPolygon(top, shade(base, metal, [0, 0, 1]), owner)
}

/** Convex hull of flat [x, y, ...] points (monotone chain), as flat points. */
function convexHull(flat: number[]): number[] {
  const pts: [number, number][] = []
  for (let i = 0; i < flat.length; i += 2) pts.push([flat[i], flat[i + 1]])
  pts.sort((a, b) => a[0] - b[0] || a[1] - b[1])
  const cross = (o: number[], a: number[], b: number[]): number => (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0])
  const build = (list: [number, number][]): [number, number][] => {
    const out: [number, number][] = []
    for (const p of list) {
      while (out.length >= 2 && cross(out[out.length - 2], out[out.length - 1], p) <= 0) out.pop()
      out.push(p)
    }
    out.pop()
    return out
  }
  return [...build(pts), ...build(pts.slice().reverse())].flat()
}

/**
 * Renders the given objects (the first k of a scene) onto a fresh size×size raster; object j is
 * owned by j + 1. Objects are painted far to near so nearer ones hide farther ones.
 */
export function renderClevrFrame(objects: readonly ClevrObject[], size: number): Raster {
  const raster = new Raster(size, size)
  drawGround(raster, objects)
  const order = objects.map((o, j) => ({ o, j, depth: toCamera([o.x, o.y, clevrCenterHeight(o)])[2] }))
  order.sort((a, b) => b.depth - a.depth)
  for (const { o, j } of order) {
    if (o.shape === 0) drawCube(raster, o, j + 1)
    else if (o.shape === 1) drawSphere(raster, o, j + 1)
    else drawCylinder(raster, o, j + 1)
  }
  return raster
}
