import type { Migration } from './migration'

/**
 * Character presence per frame, and masks per (frame, character, source). A NULL character is
 * the figure-ground union some datasets ship (`img_segment/`). Sources: 'hand' (labelled in the
 * workbench), 'imported' (from the dataset), 'truth' (exact masks of the demo generators, kept
 * apart from hand labels), 'generated' (by a model). Every saved edit of a mask keeps a version.
 */
export const createLabelsMasks: Migration = {
  version: 40,
  name: 'create-labels-masks',
  up(db) {
    db.exec(`
      CREATE TABLE frame_labels (
        frame_id INTEGER NOT NULL REFERENCES frames(id) ON DELETE CASCADE,
        character_id INTEGER NOT NULL REFERENCES characters(id) ON DELETE CASCADE,
        present INTEGER NOT NULL CHECK (present IN (0, 1)),
        source TEXT NOT NULL CHECK (source IN ('imported', 'hand')),
        PRIMARY KEY (frame_id, character_id)
      ) STRICT, WITHOUT ROWID;
      CREATE TABLE masks (
        id INTEGER PRIMARY KEY,
        frame_id INTEGER NOT NULL REFERENCES frames(id) ON DELETE CASCADE,
        character_id INTEGER REFERENCES characters(id) ON DELETE CASCADE,
        source TEXT NOT NULL CHECK (source IN ('hand', 'imported', 'truth', 'generated')),
        width INTEGER NOT NULL,
        height INTEGER NOT NULL,
        rle BLOB NOT NULL,
        area INTEGER NOT NULL,
        version INTEGER NOT NULL,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
      ) STRICT;
      CREATE UNIQUE INDEX masks_key ON masks (frame_id, ifnull(character_id, -1), source);
      CREATE TABLE mask_versions (
        mask_id INTEGER NOT NULL REFERENCES masks(id) ON DELETE CASCADE,
        version INTEGER NOT NULL,
        rle BLOB NOT NULL,
        area INTEGER NOT NULL,
        created_at TEXT NOT NULL,
        PRIMARY KEY (mask_id, version)
      ) STRICT, WITHOUT ROWID;
    `)
  }
}
