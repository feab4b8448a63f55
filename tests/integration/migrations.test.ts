import Database from 'better-sqlite3'
import { afterEach, describe, expect, it } from 'vitest'
import { join } from 'node:path'
import { migrate, openDatabase, SCHEMA_VERSION } from '../../src/main/db/database'
import { migrations } from '../../src/main/db/migrations/all'
import { tempDir } from '../helpers/paths'

/** Dataset 1 and its run 1 (status `status`), for the foreign-key checks of 0050 and later. */
function seedRun(db: Database.Database, status: string): void {
  db.exec(`INSERT INTO datasets VALUES (1, 'd', 'pororo', NULL, 'f', 5, 128, 228, '[]', 'now');
    INSERT INTO runs (id, name, dataset_id, dataset_name, split, preset, config, status, total_steps, folder, created_at, updated_at)
      VALUES (1, 'r', 1, 'd', 'train', 'tiny', '{}', '${status}', 10, 'runs/1-r', 'now', 'now')`)
}

const tables = (db: Database.Database): string[] =>
  db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").pluck().all() as string[]

describe('migrations', () => {
  let cleanup = (): void => {}
  afterEach(() => cleanup())

  it('are numbered in steps of 10, strictly increasing', () => {
    migrations.forEach((m, i) => {
      expect(m.version % 10).toBe(0)
      if (i > 0) expect(m.version).toBeGreaterThan(migrations[i - 1].version)
    })
    expect(SCHEMA_VERSION).toBe(migrations[migrations.length - 1].version)
  })

  it('0010 creates datasets, characters and episodes as STRICT tables', () => {
    const db = new Database(':memory:')
    migrate(db, 'mem', 10)
    expect(tables(db)).toEqual(['characters', 'datasets', 'episodes'])
    expect(db.pragma('user_version', { simple: true })).toBe(10)
    expect(() => db.prepare("INSERT INTO datasets (name, format, fingerprint, frames_per_story, sentence_dim, attribute_dim, created_at) VALUES ('a', 'bogus', 'f', 5, 1, 1, 'now')").run()).toThrow(/CHECK/)
    expect(() => db.prepare("INSERT INTO datasets (name, format, fingerprint, frames_per_story, sentence_dim, attribute_dim, created_at) VALUES ('a', 'pororo', 'f', 'five', 1, 1, 'now')").run()).toThrow(/cannot store TEXT value in INTEGER column/)
  })

  it('0020 adds clips, frames and captions with frame status checks', () => {
    const db = new Database(':memory:')
    migrate(db, 'mem', 20)
    expect(tables(db)).toEqual(expect.arrayContaining(['clips', 'frames', 'captions']))
    const sql = db.prepare("SELECT sql FROM sqlite_master WHERE name = 'frames'").pluck().get() as string
    expect(sql).toMatch(/'unlabeled', 'in_progress', 'done', 'skipped'/)
  })

  it('0030 adds stories and story_clips', () => {
    const db = new Database(':memory:')
    migrate(db, 'mem', 30)
    expect(tables(db)).toEqual(expect.arrayContaining(['stories', 'story_clips']))
  })

  it('0040 adds labels, masks (one per frame, character, source) and versions', () => {
    const db = new Database(':memory:')
    db.pragma('foreign_keys = ON')
    migrate(db, 'mem', 40)
    expect(tables(db)).toEqual(expect.arrayContaining(['frame_labels', 'masks', 'mask_versions']))
    db.exec(`INSERT INTO datasets VALUES (1, 'd', 'pororo', NULL, 'f', 5, 128, 228, '[]', 'now');
      INSERT INTO episodes VALUES (1, 1, 'e'); INSERT INTO clips VALUES (1, 1, 1, 'e/0', 0, 'e/0.png');
      INSERT INTO frames (id, dataset_id, clip_id, idx_in_clip, hash, width, height) VALUES (1, 1, 1, 0, 'h', 4, 4);`)
    const ins = db.prepare("INSERT INTO masks (frame_id, character_id, source, width, height, rle, area, version, created_at, updated_at) VALUES (1, NULL, 'imported', 4, 4, x'00', 0, 1, 'now', 'now')")
    ins.run()
    expect(() => ins.run()).toThrow(/UNIQUE/)
  })

  it('0050 adds runs, checkpoints, metrics and samples; runs outlive their dataset', () => {
    const db = new Database(':memory:')
    db.pragma('foreign_keys = ON')
    migrate(db, 'mem', 50)
    expect(tables(db)).toEqual(expect.arrayContaining(['runs', 'checkpoints', 'metrics', 'samples']))
    seedRun(db, 'running')
    db.exec(`INSERT INTO metrics VALUES (1, 0, 'loss/g', 1.5, 0);`)
    db.exec('DELETE FROM datasets')
    expect(db.prepare('SELECT dataset_id FROM runs').pluck().get()).toBeNull()
    expect(() => db.exec("UPDATE runs SET status = 'exploded'")).toThrow(/CHECK/)
  })

  it('0060 adds evaluations, classifiers, reference statistics and settings; scores go with their run', () => {
    const db = new Database(':memory:')
    db.pragma('foreign_keys = ON')
    migrate(db, 'mem', 60)
    expect(tables(db)).toEqual(expect.arrayContaining(['evaluations', 'classifiers', 'reference_stats', 'evaluation_settings']))
    seedRun(db, 'finished')
    db.exec(`INSERT INTO classifiers VALUES (1, 'classifiers/1.ckpt', '[]', 10, 2, 'val', 3, '{}', '{}', 'now');
      INSERT INTO reference_stats (dataset_id, split, extractor, model_hash, settings, content_hash, samples, dim, folder, created_at)
        VALUES (1, 'test', 'fsd', 'h', '{}', 'c', 8, 128, 'eval-cache/x', 'now');`)
    const score = db.prepare("INSERT INTO evaluations (run_id, step, split, score, value, samples, variant, created_at) VALUES (1, 5, 'test', ?, 1.5, 8, 'v', 'now')")
    score.run('fsd')
    expect(() => score.run('fsd')).toThrow(/UNIQUE/)
    expect(() => score.run('bleu')).toThrow(/CHECK/)
    db.exec('DELETE FROM runs')
    expect(db.prepare('SELECT count(*) FROM evaluations').pluck().get()).toBe(0)
    db.exec('DELETE FROM datasets')
    expect(db.prepare('SELECT count(*) FROM classifiers').pluck().get()).toBe(0)
    expect(db.prepare('SELECT count(*) FROM reference_stats').pluck().get()).toBe(0)
  })

  it('upgrades an older database in place and refuses a newer one', () => {
    const t = tempDir()
    cleanup = t.cleanup
    const file = join(t.dir, 'w.sqlite')
    const old = new Database(file)
    migrate(old, file, 20)
    old.close()
    const db = openDatabase(file)
    expect(db.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION)
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal')
    expect(db.pragma('foreign_keys', { simple: true })).toBe(1)
    db.pragma(`user_version = ${SCHEMA_VERSION + 10}`)
    db.close()
    expect(() => openDatabase(file)).toThrow(/newer than this build/)
  })

  it('a failing migration leaves the previous version intact', () => {
    const db = new Database(':memory:')
    migrate(db, 'mem', 10)
    db.exec('CREATE TABLE clips (x INTEGER)') // collides with 0020
    expect(() => migrate(db, 'mem', 20)).toThrow()
    expect(db.pragma('user_version', { simple: true })).toBe(10)
  })
})
