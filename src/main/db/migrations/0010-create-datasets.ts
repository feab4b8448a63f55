import type { Migration } from './migration'

/** Datasets, their characters (mask layers) and episodes. */
export const createDatasets: Migration = {
  version: 10,
  name: 'create-datasets',
  up(db) {
    db.exec(`
      CREATE TABLE datasets (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        format TEXT NOT NULL CHECK (format IN ('pororo', 'clevr', 'demo-cartoon', 'demo-clevr')),
        source_path TEXT,
        fingerprint TEXT NOT NULL,
        frames_per_story INTEGER NOT NULL,
        sentence_dim INTEGER NOT NULL,
        attribute_dim INTEGER NOT NULL,
        notes TEXT NOT NULL DEFAULT '[]',
        created_at TEXT NOT NULL
      ) STRICT;
      CREATE TABLE characters (
        id INTEGER PRIMARY KEY,
        dataset_id INTEGER NOT NULL REFERENCES datasets(id) ON DELETE CASCADE,
        idx INTEGER NOT NULL,
        name TEXT NOT NULL,
        color TEXT NOT NULL,
        UNIQUE (dataset_id, idx)
      ) STRICT;
      CREATE TABLE episodes (
        id INTEGER PRIMARY KEY,
        dataset_id INTEGER NOT NULL REFERENCES datasets(id) ON DELETE CASCADE,
        name TEXT NOT NULL,
        UNIQUE (dataset_id, name)
      ) STRICT;
    `)
  }
}
