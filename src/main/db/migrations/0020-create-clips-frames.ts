import type { Migration } from './migration'

/**
 * Clips (one story position: a Pororo-SV strip or a single frame), the frames a person labels,
 * and captions with their sentence and attribute vectors (float32 blobs).
 */
export const createClipsFrames: Migration = {
  version: 20,
  name: 'create-clips-frames',
  up(db) {
    db.exec(`
      CREATE TABLE clips (
        id INTEGER PRIMARY KEY,
        dataset_id INTEGER NOT NULL REFERENCES datasets(id) ON DELETE CASCADE,
        episode_id INTEGER NOT NULL REFERENCES episodes(id) ON DELETE CASCADE,
        key TEXT NOT NULL,
        idx INTEGER NOT NULL,
        source_file TEXT NOT NULL,
        UNIQUE (dataset_id, key)
      ) STRICT;
      CREATE TABLE frames (
        id INTEGER PRIMARY KEY,
        dataset_id INTEGER NOT NULL REFERENCES datasets(id) ON DELETE CASCADE,
        clip_id INTEGER NOT NULL REFERENCES clips(id) ON DELETE CASCADE,
        idx_in_clip INTEGER NOT NULL,
        hash TEXT NOT NULL,
        width INTEGER NOT NULL,
        height INTEGER NOT NULL,
        status TEXT NOT NULL DEFAULT 'unlabeled'
          CHECK (status IN ('unlabeled', 'in_progress', 'done', 'skipped')),
        status_updated_at TEXT,
        UNIQUE (clip_id, idx_in_clip)
      ) STRICT;
      CREATE INDEX frames_dataset_status ON frames (dataset_id, status);
      CREATE TABLE captions (
        id INTEGER PRIMARY KEY,
        clip_id INTEGER NOT NULL REFERENCES clips(id) ON DELETE CASCADE,
        idx INTEGER NOT NULL,
        text TEXT NOT NULL,
        sentence BLOB,
        attributes BLOB,
        UNIQUE (clip_id, idx)
      ) STRICT;
    `)
  }
}
