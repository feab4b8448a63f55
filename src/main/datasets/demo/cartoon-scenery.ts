/**
 * Backgrounds, scenery props and hand-held objects of the cartoon demo. Everything here is
 * painted with the GROUND owner: trees, houses and snow hills are scenery, never characters, so
 * they never appear in a character mask (characters are painted after them and cover them).
 * Sizes are fractions of the frame side so any frame size looks the same.
 */
import type { Placement } from './cartoon-figures'
import type { Random } from './random'
import { GROUND, mixColor, Raster, scaleColor } from './raster'

const SNOW = 0xf4f7fb
const INK = 0x2b2540

/** Paints the background of a place; returns the horizon row in pixels. */
export function drawScenery(raster: Raster, place: string, rng: Random): number {
  const s = raster.width
  const horizon = Math.round(raster.height * rng.range(0.4, 0.5))
  const night = place === 'night'
  const skyTop = night ? 0x0b1733 : 0x5aaee8
  const skyLow = night ? 0x2a3a6b : 0xd2ecf8
  const groundFar = night ? 0x8796b3 : place === 'ice' ? 0xb5e0f2 : 0xe3ecf4
  const groundNear = night ? 0x6b7a99 : place === 'ice' ? 0xd9f1fa : SNOW
  raster.fillRows((y) =>
    y < horizon
      ? mixColor(skyTop, skyLow, y / horizon)
      : mixColor(groundFar, groundNear, (y - horizon) / (raster.height - horizon))
  )
  if (night) drawNightSky(raster, horizon, rng)
  else if (rng.chance(0.5)) drawCloud(raster, rng.range(0.1, 0.9) * s, rng.range(0.08, 0.25) * s, s)
  if (place === 'ice') {
    drawMountains(raster, horizon, rng)
    for (let i = 0; i < 4; i++) {
      const y = rng.range(horizon + 3, raster.height)
      raster.fillEllipse(rng.range(0, s), y, rng.range(0.08, 0.2) * s, 0.6, 0xf5fcff, GROUND)
    }
  } else if (place === 'forest' || place === 'night') {
    const trees = place === 'forest' ? rng.int(3, 6) : rng.int(1, 3)
    for (let i = 0; i < trees; i++) drawTree(raster, rng.range(0.02, 0.98) * s, horizon + rng.range(0, 0.08) * s, rng.range(0.2, 0.36) * s, night)
  } else if (place === 'house') {
    drawHouse(raster, rng.range(0.2, 0.8) * s, horizon + rng.range(0.02, 0.06) * s, rng.range(0.28, 0.36) * s)
    if (rng.chance(0.7)) drawTree(raster, rng.pick([0.06, 0.94]) * s, horizon + 0.03 * s, 0.28 * s, false)
  } else if (place === 'hill') {
    for (let i = 0; i < 3; i++) {
      const w = rng.range(0.3, 0.55) * s
      const cx = rng.range(0, s)
      raster.fillEllipse(cx, horizon + 1, w, rng.range(0.12, 0.22) * s, 0xcfdff0, GROUND)
      raster.fillEllipse(cx - w * 0.08, horizon + 2, w * 0.9, rng.range(0.1, 0.18) * s, SNOW, GROUND)
    }
  } else if (place === 'lake') {
    const cx = rng.range(0.3, 0.7) * s
    raster.fillEllipse(cx, horizon + 0.12 * s, 0.45 * s, 0.09 * s, 0x9fd3ec, GROUND)
    raster.fillEllipse(cx - 0.1 * s, horizon + 0.1 * s, 0.12 * s, 0.015 * s, 0xe6f6fd, GROUND)
    drawTree(raster, rng.pick([0.08, 0.92]) * s, horizon + 0.02 * s, 0.26 * s, false)
  }
  return horizon
}

function drawNightSky(raster: Raster, horizon: number, rng: Random): void {
  const s = raster.width
  for (let i = 0; i < 14; i++) raster.put(rng.int(0, s - 1), rng.int(0, Math.max(0, horizon - 4)), 0xfff7c2, GROUND)
  const mx = rng.range(0.15, 0.85) * s
  const my = rng.range(0.08, 0.2) * s
  raster.fillEllipse(mx, my, 0.07 * s, 0.07 * s, 0xfff3b0, GROUND)
  raster.fillEllipse(mx + 0.035 * s, my - 0.02 * s, 0.06 * s, 0.06 * s, 0x122044, GROUND)
}

function drawCloud(raster: Raster, x: number, y: number, s: number): void {
  raster.fillEllipse(x, y, 0.1 * s, 0.035 * s, 0xffffff, GROUND)
  raster.fillEllipse(x - 0.04 * s, y - 0.02 * s, 0.05 * s, 0.03 * s, 0xffffff, GROUND)
  raster.fillEllipse(x + 0.04 * s, y - 0.025 * s, 0.05 * s, 0.035 * s, 0xffffff, GROUND)
}

function drawMountains(raster: Raster, horizon: number, rng: Random): void {
  const s = raster.width
  for (let i = 0; i < 3; i++) {
    const cx = rng.range(0, s)
    const w = rng.range(0.2, 0.35) * s
    const top = horizon - rng.range(0.12, 0.24) * s
    raster.fillPolygon([cx - w, horizon, cx, top, cx + w, horizon], 0xa9c3dc, GROUND)
    raster.fillPolygon([cx - w * 0.35, top + (horizon - top) * 0.35, cx, top, cx + w * 0.35, top + (horizon - top) * 0.35], SNOW, GROUND)
  }
}

/** A snowy pine tree with its trunk foot at (x, base). */
function drawTree(raster: Raster, x: number, base: number, height: number, night: boolean): void {
  const green = night ? 0x1f4d3a : 0x2e7d4f
  raster.fillRect(x - height * 0.06, base - height * 0.18, x + height * 0.06, base, 0x6d4c41, GROUND)
  for (let i = 0; i < 3; i++) {
    const top = base - height * (0.55 + 0.22 * i)
    const bottom = base - height * (0.12 + 0.24 * i)
    const half = height * (0.32 - 0.07 * i)
    raster.fillPolygon([x - half, bottom, x, top, x + half, bottom], i === 0 ? green : scaleColor(green, 1.1), GROUND)
    raster.fillPolygon([x - half * 0.35, top + (bottom - top) * 0.35, x, top, x + half * 0.35, top + (bottom - top) * 0.35], SNOW, GROUND)
  }
}

/** Pororo's wooden hut: walls, snowy red roof, door and window; foot centre at (x, base). */
function drawHouse(raster: Raster, x: number, base: number, width: number): void {
  const half = width / 2
  const wallTop = base - width * 0.6
  raster.fillRect(x - half, wallTop, x + half, base, 0xc98b4a, GROUND)
  raster.fillRect(x + half * 0.45, wallTop - width * 0.45, x + half * 0.7, wallTop, 0x8d5a3b, GROUND)
  raster.fillPolygon([x - half * 1.2, wallTop + 1, x, wallTop - width * 0.42, x + half * 1.2, wallTop + 1], 0xd9534f, GROUND)
  raster.fillPolygon([x - half * 0.5, wallTop - width * 0.24, x, wallTop - width * 0.42, x + half * 0.5, wallTop - width * 0.24], SNOW, GROUND)
  raster.fillRect(x - half * 0.25, base - width * 0.36, x + half * 0.25, base, 0x5d3a24, GROUND)
  raster.fillRect(x + half * 0.45, wallTop + width * 0.12, x + half * 0.85, wallTop + width * 0.3, 0xfff0a0, GROUND)
}

/**
 * Paints the object an action uses at the facing side of the figure that holds it. Sizes have
 * a pixel floor so the object stays legible on small, distant figures.
 */
export function drawHeldObject(raster: Raster, object: string, at: Placement): void {
  const h = Math.max(at.height, 16)
  const x = at.x + at.facing * 0.5 * at.height
  const y = at.footY
  switch (object) {
    case 'ball':
      raster.fillEllipse(x, y - 0.13 * h, 0.14 * h, 0.14 * h, 0xe53935, GROUND)
      raster.fillRect(x - 0.14 * h, y - 0.15 * h, x + 0.14 * h, y - 0.1 * h, 0xffffff, GROUND)
      break
    case 'kite': {
      const kx = at.x + at.facing * 0.8 * h
      const ky = y - 1.5 * h
      raster.fillPolygon([kx, ky - 0.2 * h, kx + 0.14 * h, ky, kx, ky + 0.2 * h, kx - 0.14 * h, ky], 0xff7043, GROUND)
      for (let t = 0.15; t < 1; t += 0.1) raster.put(Math.floor(kx + (x - kx) * t), Math.floor(ky + 0.2 * h + (y - 0.5 * h - ky) * t), INK, GROUND)
      break
    }
    case 'fish':
      raster.fillEllipse(x, y - 0.5 * h, 0.15 * h, 0.07 * h, 0x4fa3d1, GROUND)
      raster.fillPolygon([x - at.facing * 0.12 * h, y - 0.5 * h, x - at.facing * 0.26 * h, y - 0.58 * h, x - at.facing * 0.26 * h, y - 0.42 * h], 0x4fa3d1, GROUND)
      break
    case 'cake':
      raster.fillRect(x - 0.15 * h, y - 0.2 * h, x + 0.15 * h, y, 0xf8bbd0, GROUND)
      raster.fillRect(x - 0.15 * h, y - 0.24 * h, x + 0.15 * h, y - 0.16 * h, 0xffffff, GROUND)
      raster.fillEllipse(x, y - 0.28 * h, 0.04 * h, 0.04 * h, 0xd32f2f, GROUND)
      break
    case 'cookies':
      raster.fillEllipse(x, y - 0.04 * h, 0.2 * h, 0.05 * h, 0xffffff, GROUND)
      for (const dx of [-0.09, 0, 0.09]) raster.fillEllipse(x + dx * h, y - 0.09 * h, 0.06 * h, 0.05 * h, 0xa1662f, GROUND)
      break
    case 'book':
      raster.fillRect(x - 0.12 * h, y - 0.62 * h, x + 0.12 * h, y - 0.4 * h, 0x3949ab, GROUND)
      raster.fillRect(x - 0.01 * h, y - 0.62 * h, x + 0.01 * h + 1, y - 0.4 * h, 0xffffff, GROUND)
      break
    case 'letter':
      raster.fillRect(x - 0.13 * h, y - 0.6 * h, x + 0.13 * h, y - 0.42 * h, 0xfffde7, GROUND)
      raster.fillEllipse(x, y - 0.51 * h, 0.04 * h, 0.04 * h, 0xd32f2f, GROUND)
      break
    case 'snowballs':
      for (const [dx, dy] of [[0, -0.6], [0.12, -0.1], [-0.08, -0.08]]) {
        raster.fillEllipse(x + dx * h, y + dy * h, 0.09 * h + 0.5, 0.09 * h + 0.5, 0x9fb3c8, GROUND)
        raster.fillEllipse(x + dx * h, y + dy * h, 0.09 * h, 0.09 * h, 0xffffff, GROUND)
      }
      break
  }
}
