import type { Migration } from './migration'

/**
 * Evaluation (issue 7): scores per checkpoint, the character classifier kept with each dataset,
 * the cached real-data statistics and the feature-network settings of the workspace.
 *
 * - `evaluations`: one score of one checkpoint. `variant` names what else the value depends on
 *   (network file hash, preprocessing, classifier), so a re-evaluation with the same settings
 *   replaces the row and one with other settings sits beside it. Scores go with their run.
 * - `classifiers`: one per dataset (retraining replaces it); the weights live in a file under
 *   `<workspace>/classifiers/`, the held-out scores here so the UI shows them without loading it.
 * - `reference_stats`: real statistics of a dataset split, computed once per network file and
 *   preprocessing; `content_hash` covers the frames used, so changed data is never served stale.
 * - `evaluation_settings`: paths of the user-provided ONNX files and the FSD mode.
 */
export const createEvaluations: Migration = {
  version: 60,
  name: 'create-evaluations',
  up(db) {
    db.exec(`
      CREATE TABLE evaluations (
        id INTEGER PRIMARY KEY,
        run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
        step INTEGER NOT NULL,
        split TEXT NOT NULL,
        score TEXT NOT NULL CHECK (score IN ('fid', 'fsd', 'char_f1', 'frame_acc', 'mask_iou')),
        value REAL NOT NULL,
        samples INTEGER NOT NULL,
        variant TEXT NOT NULL,
        details TEXT NOT NULL DEFAULT '{}',
        created_at TEXT NOT NULL,
        UNIQUE (run_id, step, split, score, variant)
      ) STRICT;
      CREATE INDEX evaluations_run ON evaluations (run_id, step);
      CREATE TABLE classifiers (
        dataset_id INTEGER PRIMARY KEY REFERENCES datasets(id) ON DELETE CASCADE,
        file TEXT NOT NULL,
        label_names TEXT NOT NULL,
        train_frames INTEGER NOT NULL,
        held_out_frames INTEGER NOT NULL,
        held_out_from TEXT NOT NULL,
        epochs INTEGER NOT NULL,
        held_out TEXT NOT NULL,
        baseline TEXT NOT NULL,
        created_at TEXT NOT NULL
      ) STRICT;
      CREATE TABLE reference_stats (
        id INTEGER PRIMARY KEY,
        dataset_id INTEGER NOT NULL REFERENCES datasets(id) ON DELETE CASCADE,
        split TEXT NOT NULL,
        extractor TEXT NOT NULL CHECK (extractor IN ('fid', 'fsd')),
        model_hash TEXT NOT NULL,
        settings TEXT NOT NULL,
        content_hash TEXT NOT NULL,
        samples INTEGER NOT NULL,
        dim INTEGER NOT NULL,
        folder TEXT NOT NULL,
        created_at TEXT NOT NULL,
        UNIQUE (dataset_id, split, extractor, model_hash, settings, content_hash)
      ) STRICT;
      CREATE TABLE evaluation_settings (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL
      ) STRICT;
    `)
  }
}
