import type { Migration } from './migration'

/** Stories: ordered clips with a split. Pororo-SV stories overlap, so clips are shared. */
export const createStories: Migration = {
  version: 30,
  name: 'create-stories',
  up(db) {
    db.exec(`
      CREATE TABLE stories (
        id INTEGER PRIMARY KEY,
        dataset_id INTEGER NOT NULL REFERENCES datasets(id) ON DELETE CASCADE,
        idx INTEGER NOT NULL,
        split TEXT NOT NULL CHECK (split IN ('train', 'val', 'test')),
        UNIQUE (dataset_id, idx)
      ) STRICT;
      CREATE INDEX stories_dataset_split ON stories (dataset_id, split);
      CREATE TABLE story_clips (
        story_id INTEGER NOT NULL REFERENCES stories(id) ON DELETE CASCADE,
        position INTEGER NOT NULL,
        clip_id INTEGER NOT NULL REFERENCES clips(id) ON DELETE CASCADE,
        PRIMARY KEY (story_id, position)
      ) STRICT, WITHOUT ROWID;
      CREATE INDEX story_clips_clip ON story_clips (clip_id);
    `)
  }
}
