/**
 * The nine cartoon characters as flat-colour figures built from ellipses, rectangles and
 * polygons. Each figure is described once in a unit box (height 1, feet at y = 0, facing right,
 * y grows downwards) and scaled onto the frame, so every character keeps the same silhouette at
 * every size and position. Every part of a figure is painted with the character's owner id, so
 * the owner map yields the exact character mask.
 */
import { type Color, Raster } from './raster'

type Part =
  | { kind: 'ellipse'; x: number; y: number; rx: number; ry: number; color: Color; outline?: boolean }
  | { kind: 'rect'; x: number; y: number; w: number; h: number; color: Color; outline?: boolean }
  | { kind: 'poly'; points: number[]; color: Color; outline?: boolean }
  | { kind: 'eye'; x: number; y: number; color?: Color }

/** One character: name, mask-layer colour and figure. */
export interface FigureSpec {
  name: string
  /** Mask layer colour (also the character's dominant colour where that is legible). */
  maskColor: Color
  /** Height relative to the standard figure height. */
  scale: number
  /** Flying characters float above their ground position. */
  flies: boolean
  parts: (pose: Pose) => Part[]
}

/** Per-clip pose details that follow the action. */
export interface Pose {
  eyesClosed: boolean
  /** Alternates between clips for wing flaps. */
  phase: number
}

const INK = 0x2b2540
const WHITE = 0xffffff
const BLACK = 0x1a1a1a
const ORANGE = 0xf59a23

const e = (x: number, y: number, rx: number, ry: number, color: Color, outline = true): Part => ({
  kind: 'ellipse', x, y, rx, ry, color, outline
})
const r = (x: number, y: number, w: number, h: number, color: Color, outline = true): Part => ({
  kind: 'rect', x, y, w, h, color, outline
})
const p = (points: number[], color: Color, outline = true): Part => ({ kind: 'poly', points, color, outline })
const eye = (x: number, y: number, color?: Color): Part => ({ kind: 'eye', x, y, color })

/** A penguin body shared by Pororo and Petty; the headgear tells them apart. */
function penguin(headgear: Part[]): Part[] {
  return [
    e(-0.12, -0.03, 0.11, 0.045, ORANGE),
    e(0.12, -0.03, 0.11, 0.045, ORANGE),
    e(0, -0.3, 0.26, 0.29, 0x24386e),
    e(0.04, -0.28, 0.17, 0.21, WHITE, false),
    e(0, -0.68, 0.25, 0.24, WHITE),
    ...headgear,
    eye(0.07, -0.66),
    eye(0.17, -0.66),
    p([0.15, -0.58, 0.34, -0.55, 0.15, -0.51], ORANGE)
  ]
}

/** Figures in CARTOON_CHARACTERS order. */
export const FIGURES: readonly FigureSpec[] = [
  {
    name: 'Pororo', maskColor: 0x2f80ed, scale: 1, flies: false,
    parts: () => penguin([
      e(0, -0.78, 0.26, 0.17, 0x2f80ed),
      e(-0.04, -0.86, 0.08, 0.05, 0xffd23f),
      e(0.12, -0.86, 0.08, 0.05, 0xffd23f)
    ])
  },
  {
    name: 'Loopy', maskColor: 0xf06fa8, scale: 0.9, flies: false,
    parts: () => [
      e(-0.3, -0.12, 0.17, 0.07, 0x9c5a2e),
      e(0, -0.3, 0.28, 0.3, 0xf48fb1),
      e(0.04, -0.28, 0.17, 0.2, 0xfbcfe0, false),
      e(-0.13, -0.9, 0.08, 0.08, 0xe0679a),
      e(0.17, -0.9, 0.08, 0.08, 0xe0679a),
      e(0.02, -0.7, 0.25, 0.22, 0xf48fb1),
      eye(0.06, -0.74),
      eye(0.16, -0.74),
      e(0.24, -0.66, 0.05, 0.04, 0x7b3f1d, false),
      r(0.14, -0.6, 0.08, 0.08, WHITE, false)
    ]
  },
  {
    name: 'Crong', maskColor: 0x43a047, scale: 0.75, flies: false,
    parts: () => [
      p([-0.18, -0.12, -0.48, -0.04, -0.18, -0.32], 0x4caf50),
      e(0, -0.28, 0.26, 0.28, 0x4caf50),
      e(0.05, -0.25, 0.15, 0.18, 0xc5e1a5, false),
      p([-0.16, -0.86, -0.08, -1.0, 0.0, -0.9], 0x2e7d32),
      p([0.0, -0.92, 0.1, -1.04, 0.16, -0.9], 0x2e7d32),
      e(0.05, -0.7, 0.28, 0.26, 0x4caf50),
      e(0.05, -0.76, 0.08, 0.09, WHITE, false),
      e(0.2, -0.76, 0.08, 0.09, WHITE, false),
      eye(0.08, -0.75),
      eye(0.23, -0.75)
    ]
  },
  {
    name: 'Eddy', maskColor: 0xef7d16, scale: 1.05, flies: false,
    parts: () => [
      e(-0.3, -0.36, 0.12, 0.2, 0xef7d16),
      e(-0.34, -0.52, 0.07, 0.07, WHITE, false),
      e(0, -0.3, 0.22, 0.3, 0xef7d16),
      e(0.04, -0.28, 0.12, 0.2, 0xffe0b2, false),
      p([-0.18, -0.78, -0.05, -0.84, -0.16, -1.0], 0xef7d16),
      p([0.06, -0.85, 0.19, -0.8, 0.16, -1.0], 0xef7d16),
      e(0.02, -0.7, 0.22, 0.2, 0xef7d16),
      e(0.16, -0.64, 0.11, 0.07, 0xffe0b2, false),
      r(0.0, -0.76, 0.26, 0.03, BLACK, false),
      e(0.05, -0.72, 0.065, 0.065, BLACK, false),
      e(0.19, -0.72, 0.065, 0.065, BLACK, false),
      e(0.26, -0.65, 0.035, 0.03, BLACK, false)
    ]
  },
  {
    name: 'Poby', maskColor: 0x8d6e63, scale: 1.3, flies: false,
    parts: () => [
      e(-0.14, -0.04, 0.1, 0.05, 0xe9dfc8),
      e(0.14, -0.04, 0.1, 0.05, 0xe9dfc8),
      e(0, -0.34, 0.33, 0.33, 0xf3eddf),
      e(-0.08, -0.95, 0.07, 0.06, 0xf3eddf),
      e(0.17, -0.95, 0.07, 0.06, 0xf3eddf),
      e(0.05, -0.78, 0.22, 0.19, 0xf3eddf),
      r(-0.2, -0.62, 0.44, 0.08, 0x8d6e63),
      e(0.2, -0.74, 0.09, 0.06, 0xfffaf0, false),
      e(0.26, -0.77, 0.045, 0.035, BLACK, false),
      eye(0.06, -0.83),
      eye(0.16, -0.83)
    ]
  },
  {
    name: 'Petty', maskColor: 0x9c4fd6, scale: 0.95, flies: false,
    parts: () => penguin([
      e(0, -0.8, 0.26, 0.15, 0x9c4fd6),
      e(0.0, -0.98, 0.08, 0.08, 0xff8fc8),
      p([-0.2, -0.9, -0.32, -0.98, -0.3, -0.82], 0xff8fc8)
    ])
  },
  {
    name: 'Tongtong', maskColor: 0xe53935, scale: 0.95, flies: false,
    parts: (pose) => [
      p([-0.05, -0.5, -0.46, pose.phase ? -0.86 : -0.72, -0.32, -0.38], 0xb71c1c),
      p([-0.16, -0.12, -0.5, -0.02, -0.2, -0.3], 0xe53935),
      e(0, -0.3, 0.25, 0.3, 0xe53935),
      e(0.05, -0.28, 0.14, 0.2, 0xffe082, false),
      p([-0.1, -0.84, -0.04, -1.02, 0.02, -0.86], 0xffca28),
      p([0.08, -0.86, 0.16, -1.02, 0.18, -0.84], 0xffca28),
      e(0.05, -0.69, 0.23, 0.2, 0xe53935),
      eye(0.08, -0.73),
      eye(0.18, -0.73),
      e(0.25, -0.64, 0.03, 0.03, BLACK, false)
    ]
  },
  {
    name: 'Rody', maskColor: 0x78909c, scale: 1, flies: false,
    parts: () => [
      r(-0.16, -0.14, 0.12, 0.14, 0x607d8b),
      r(0.04, -0.14, 0.12, 0.14, 0x607d8b),
      r(-0.32, -0.56, 0.1, 0.3, 0x90a4ae),
      r(0.22, -0.56, 0.1, 0.3, 0x90a4ae),
      r(-0.22, -0.6, 0.44, 0.48, 0xb0bec5),
      r(-0.1, -0.46, 0.2, 0.14, 0x4fc3f7, false),
      r(0.0, -1.06, 0.04, 0.16, 0x607d8b, false),
      e(0.02, -1.07, 0.06, 0.06, 0xe53935),
      r(-0.2, -0.92, 0.4, 0.3, 0xb0bec5),
      r(-0.12, -0.84, 0.3, 0.12, 0x263238, false),
      eye(0.0, -0.79, 0x4dd0e1),
      eye(0.12, -0.79, 0x4dd0e1)
    ]
  },
  {
    name: 'Harry', maskColor: 0xfbc02d, scale: 0.7, flies: true,
    parts: (pose) => [
      p([-0.3, -0.5, -0.62, -0.32, -0.3, -0.38], 0xf9a825),
      e(0, -0.45, 0.3, 0.22, 0xfdd835),
      e(0.05, -0.38, 0.18, 0.1, 0xfff59d, false),
      p([0.38, -0.68, 0.82, -0.63, 0.38, -0.6], 0x5d4037),
      e(0.26, -0.64, 0.18, 0.17, 0xfdd835),
      pose.phase
        ? p([-0.12, -0.6, 0.14, -0.58, -0.2, -1.0], 0xfbc02d)
        : p([-0.12, -0.44, 0.14, -0.46, -0.22, -0.1], 0xfbc02d),
      eye(0.3, -0.68)
    ]
  }
]

/** Where and how big to draw a figure: foot centre in pixels, height in pixels, facing ±1. */
export interface Placement {
  x: number
  footY: number
  height: number
  facing: 1 | -1
}

/**
 * Paints a character onto the raster with the given owner id. Outlined parts get a dark rim one
 * step larger than the part (about a pixel at 64×64), which keeps the small figures legible
 * without anti-aliasing.
 */
export function drawFigure(raster: Raster, spec: FigureSpec, at: Placement, pose: Pose, owner: number): void {
  const h = at.height
  const rim = Math.max(0.7, h / 26)
  const X = (u: number): number => at.x + at.facing * u * h
  const Y = (v: number): number => at.footY + v * h
  for (const part of spec.parts(pose)) {
    if (part.kind === 'eye') {
      drawEye(raster, X(part.x), Y(part.y), h, pose.eyesClosed, part.color ?? BLACK, owner)
    } else if (part.kind === 'ellipse') {
      const rx = part.rx * h
      const ry = part.ry * h
      if (part.outline) raster.fillEllipse(X(part.x), Y(part.y), rx + rim, ry + rim, INK, owner)
      raster.fillEllipse(X(part.x), Y(part.y), rx, ry, part.color, owner)
    } else if (part.kind === 'rect') {
      const xa = Math.min(X(part.x), X(part.x + part.w))
      const xb = Math.max(X(part.x), X(part.x + part.w))
      const ya = Y(part.y)
      const yb = Y(part.y + part.h)
      if (part.outline) raster.fillRect(xa - rim, ya - rim, xb + rim, yb + rim, INK, owner)
      raster.fillRect(xa, ya, Math.max(xb, xa + 1), Math.max(yb, ya + 1), part.color, owner)
    } else {
      const pts = part.points.map((v, i) => (i % 2 === 0 ? X(v) : Y(v)))
      if (part.outline) raster.fillPolygon(grow(pts, rim), INK, owner)
      raster.fillPolygon(pts, part.color, owner)
    }
  }
}

/** Eyes are snapped to whole pixels so they never vanish at small sizes. */
function drawEye(raster: Raster, x: number, y: number, h: number, closed: boolean, color: Color, owner: number): void {
  const size = Math.max(1, Math.round(h * 0.07))
  const x0 = Math.floor(x - size / 2)
  const y0 = Math.floor(y - size / 2)
  if (closed) raster.fillRect(x0 - 0.5, y0 + size - 1, x0 + size + 0.5, y0 + size, INK, owner)
  else raster.fillRect(x0, y0, x0 + size, y0 + Math.max(size, Math.round(h * 0.09)), color, owner)
}

/** Moves each vertex away from the centroid by `by` pixels (approximate outline offset). */
function grow(points: number[], by: number): number[] {
  const n = points.length / 2
  let cx = 0
  let cy = 0
  for (let i = 0; i < n; i++) {
    cx += points[2 * i] / n
    cy += points[2 * i + 1] / n
  }
  return points.map((v, i) => {
    const dx = points[i - (i % 2)] - cx
    const dy = points[i - (i % 2) + 1] - cy
    const len = Math.hypot(dx, dy) || 1
    return v + ((i % 2 === 0 ? dx : dy) / len) * by * 1.4
  })
}
