import type { Migration } from './migration'

/**
 * Training runs and what they leave: checkpoints, scalar metrics per step (losses, learning
 * rates, speed, evaluation scores) and sample stories. A run keeps its record when its dataset
 * is deleted (dataset_id becomes NULL): results outlive the data they came from.
 */
export const createRuns: Migration = {
  version: 50,
  name: 'create-runs',
  up(db) {
    db.exec(`
      CREATE TABLE runs (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL,
        dataset_id INTEGER REFERENCES datasets(id) ON DELETE SET NULL,
        dataset_name TEXT NOT NULL,
        split TEXT NOT NULL,
        preset TEXT NOT NULL,
        config TEXT NOT NULL,
        backend TEXT,
        status TEXT NOT NULL CHECK (status IN ('queued', 'running', 'stopped', 'finished', 'failed')),
        error TEXT,
        step INTEGER NOT NULL DEFAULT 0,
        total_steps INTEGER NOT NULL,
        folder TEXT NOT NULL,
        mask_coverage TEXT,
        parent_run_id INTEGER REFERENCES runs(id) ON DELETE SET NULL,
        owner_pid INTEGER,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
      ) STRICT;
      CREATE TABLE checkpoints (
        id INTEGER PRIMARY KEY,
        run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
        step INTEGER NOT NULL,
        epoch INTEGER NOT NULL,
        file TEXT NOT NULL,
        bytes INTEGER NOT NULL,
        created_at TEXT NOT NULL,
        UNIQUE (run_id, step)
      ) STRICT;
      CREATE TABLE metrics (
        run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
        step INTEGER NOT NULL,
        tag TEXT NOT NULL,
        value REAL NOT NULL,
        wall_time REAL NOT NULL,
        PRIMARY KEY (run_id, tag, step)
      ) STRICT, WITHOUT ROWID;
      CREATE TABLE samples (
        id INTEGER PRIMARY KEY,
        run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
        step INTEGER NOT NULL,
        story_id INTEGER,
        position INTEGER NOT NULL,
        file TEXT NOT NULL,
        created_at TEXT NOT NULL,
        UNIQUE (run_id, step, position)
      ) STRICT;
    `)
  }
}
