//! Versioned schema. A released migration is never edited: add a new `M::up` at the end.

use rusqlite_migration::{M, Migrations};

pub fn migrations() -> Migrations<'static> {
    Migrations::new(vec![
        M::up(V1_FOUNDATION),
        M::up_with_hook(V2_TEMPLATES_AS_DATA, super::upgrade::v2_hook).foreign_key_check(),
        M::up(V3_SHARING),
        M::up(V4_SERVER_POOLS),
        M::up(V5_OPEN_UPLOADS),
    ])
}

/// v1: endpoints, settings, assets, jobs with their inputs, events and outputs, FTS on prompts.
/// Timestamps are integer milliseconds since the Unix epoch.
pub(super) const V1_FOUNDATION: &str = r#"
CREATE TABLE endpoints (
    name             TEXT PRIMARY KEY,
    base_url         TEXT NOT NULL,
    auth_kind        TEXT NOT NULL CHECK (auth_kind IN ('none', 'bearer', 'basic', 'header')),
    auth_header_name TEXT,
    has_secret       INTEGER NOT NULL DEFAULT 0,
    is_default       INTEGER NOT NULL DEFAULT 0 CHECK (is_default IN (0, 1)),
    created_at       INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL
);
CREATE UNIQUE INDEX endpoints_one_default ON endpoints(is_default) WHERE is_default = 1;

INSERT INTO endpoints (name, base_url, auth_kind, is_default, created_at, updated_at)
VALUES ('production', 'https://comfy.desineuron.in', 'none', 1,
        CAST(unixepoch('subsec') * 1000 AS INTEGER), CAST(unixepoch('subsec') * 1000 AS INTEGER));

CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE assets (
    id               TEXT PRIMARY KEY,
    kind             TEXT NOT NULL CHECK (kind IN ('image', 'audio', 'video')),
    role             TEXT NOT NULL CHECK (role IN ('ground_truth', 'reference', 'pose_sheet', 'motion_video', 'audio')),
    original_name    TEXT NOT NULL,
    mime             TEXT NOT NULL,
    width            INTEGER,
    height           INTEGER,
    duration_seconds REAL,
    fps              REAL,
    frame_count      INTEGER,
    sample_rate      INTEGER,
    channels         INTEGER,
    codec            TEXT,
    size_bytes       INTEGER NOT NULL,
    sha256           TEXT NOT NULL,
    stored_path      TEXT NOT NULL,
    thumbnail_path   TEXT,
    waveform_json    TEXT,
    facts_json       TEXT NOT NULL,
    created_at       INTEGER NOT NULL,
    UNIQUE (sha256, role)
);

CREATE TABLE jobs (
    id               TEXT PRIMARY KEY,
    comfy_prompt_id  TEXT NOT NULL UNIQUE,
    client_id        TEXT NOT NULL,
    endpoint_name    TEXT,
    mode             TEXT NOT NULL CHECK (mode IN ('animate', 'audio')),
    template_name    TEXT NOT NULL,
    template_version TEXT NOT NULL,
    profile          TEXT NOT NULL,
    aspect           TEXT NOT NULL,
    prompt           TEXT NOT NULL,
    negative_prompt  TEXT NOT NULL DEFAULT '',
    settings_json    TEXT NOT NULL,
    resolved_seed    INTEGER,
    frame_count      INTEGER,
    state            TEXT NOT NULL CHECK (state IN ('draft', 'validating', 'uploading', 'queued',
                         'executing', 'collecting', 'completed', 'failed', 'cancelled')),
    progress         REAL NOT NULL DEFAULT 0,
    error_code       TEXT,
    error_message    TEXT,
    error_suggestion TEXT,
    error_detail     TEXT,
    parent_job_id    TEXT REFERENCES jobs(id) ON DELETE SET NULL,
    relation         TEXT CHECK (relation IS NULL OR relation IN ('retry', 'replay')),
    is_demo          INTEGER NOT NULL DEFAULT 0 CHECK (is_demo IN (0, 1)),
    cancel_requested INTEGER NOT NULL DEFAULT 0,
    created_at       INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL,
    queued_at        INTEGER,
    started_at       INTEGER,
    finished_at      INTEGER
);
CREATE INDEX jobs_by_created ON jobs(created_at DESC, id DESC);
CREATE INDEX jobs_by_demo ON jobs(is_demo, created_at DESC, id DESC);
CREATE INDEX jobs_by_state ON jobs(state, created_at DESC);
CREATE INDEX jobs_by_mode ON jobs(mode, created_at DESC);
CREATE INDEX jobs_by_endpoint ON jobs(endpoint_name, created_at DESC);
CREATE INDEX jobs_by_template ON jobs(template_name, template_version, profile);

CREATE TABLE job_inputs (
    job_id        TEXT NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
    asset_id      TEXT NOT NULL REFERENCES assets(id),
    role          TEXT NOT NULL,
    position      INTEGER NOT NULL DEFAULT 0,
    uploaded_name TEXT,
    PRIMARY KEY (job_id, role, position)
);
CREATE INDEX job_inputs_by_asset ON job_inputs(asset_id);

CREATE TABLE job_events (
    id        INTEGER PRIMARY KEY,
    job_id    TEXT NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
    at        INTEGER NOT NULL,
    kind      TEXT NOT NULL,
    state     TEXT,
    data_json TEXT
);
CREATE INDEX job_events_by_job ON job_events(job_id, id);

CREATE TABLE outputs (
    id               INTEGER PRIMARY KEY,
    job_id           TEXT NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
    kind             TEXT NOT NULL CHECK (kind IN ('video', 'poster', 'image', 'audio', 'other')),
    path             TEXT NOT NULL,
    size_bytes       INTEGER NOT NULL,
    sha256           TEXT NOT NULL,
    server_filename  TEXT,
    server_subfolder TEXT,
    node_id          TEXT,
    created_at       INTEGER NOT NULL,
    UNIQUE (job_id, path)
);
CREATE INDEX outputs_by_job ON outputs(job_id);

CREATE VIRTUAL TABLE jobs_fts USING fts5(
    prompt, negative_prompt, content = 'jobs', content_rowid = 'rowid', tokenize = 'unicode61'
);
CREATE TRIGGER jobs_fts_insert AFTER INSERT ON jobs BEGIN
    INSERT INTO jobs_fts(rowid, prompt, negative_prompt) VALUES (new.rowid, new.prompt, new.negative_prompt);
END;
CREATE TRIGGER jobs_fts_delete AFTER DELETE ON jobs BEGIN
    INSERT INTO jobs_fts(jobs_fts, rowid, prompt, negative_prompt)
    VALUES ('delete', old.rowid, old.prompt, old.negative_prompt);
END;
CREATE TRIGGER jobs_fts_update AFTER UPDATE OF prompt, negative_prompt ON jobs BEGIN
    INSERT INTO jobs_fts(jobs_fts, rowid, prompt, negative_prompt)
    VALUES ('delete', old.rowid, old.prompt, old.negative_prompt);
    INSERT INTO jobs_fts(rowid, prompt, negative_prompt) VALUES (new.rowid, new.prompt, new.negative_prompt);
END;
"#;

/// v2: templates define studios and input roles (no fixed lists of modes or roles); a job may
/// be a failover of another; a collected video keeps its duration and size, so the gallery
/// never re-reads MP4 headers. Job requests move to the one model (the hook converts them and
/// measures the videos already collected). SQLite cannot drop a CHECK constraint: the two
/// tables are rebuilt (rowids kept, so the FTS index stays valid). Runs with foreign keys off
/// (see `store::open`), then `foreign_key_check` verifies nothing dangles.
const V2_TEMPLATES_AS_DATA: &str = r#"
CREATE TABLE jobs_v2 (
    id               TEXT PRIMARY KEY,
    comfy_prompt_id  TEXT NOT NULL UNIQUE,
    client_id        TEXT NOT NULL,
    endpoint_name    TEXT,
    mode             TEXT NOT NULL,
    template_name    TEXT NOT NULL,
    template_version TEXT NOT NULL,
    profile          TEXT NOT NULL,
    aspect           TEXT NOT NULL,
    prompt           TEXT NOT NULL,
    negative_prompt  TEXT NOT NULL DEFAULT '',
    settings_json    TEXT NOT NULL,
    resolved_seed    INTEGER,
    frame_count      INTEGER,
    state            TEXT NOT NULL CHECK (state IN ('draft', 'validating', 'uploading', 'queued',
                         'executing', 'collecting', 'completed', 'failed', 'cancelled')),
    progress         REAL NOT NULL DEFAULT 0,
    error_code       TEXT,
    error_message    TEXT,
    error_suggestion TEXT,
    error_detail     TEXT,
    parent_job_id    TEXT REFERENCES jobs(id) ON DELETE SET NULL,
    relation         TEXT CHECK (relation IS NULL OR relation IN ('retry', 'replay', 'failover')),
    is_demo          INTEGER NOT NULL DEFAULT 0 CHECK (is_demo IN (0, 1)),
    cancel_requested INTEGER NOT NULL DEFAULT 0,
    created_at       INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL,
    queued_at        INTEGER,
    started_at       INTEGER,
    finished_at      INTEGER
);
INSERT INTO jobs_v2 (rowid, id, comfy_prompt_id, client_id, endpoint_name, mode, template_name,
    template_version, profile, aspect, prompt, negative_prompt, settings_json, resolved_seed,
    frame_count, state, progress, error_code, error_message, error_suggestion, error_detail,
    parent_job_id, relation, is_demo, cancel_requested, created_at, updated_at, queued_at,
    started_at, finished_at)
SELECT rowid, id, comfy_prompt_id, client_id, endpoint_name, mode, template_name,
    template_version, profile, aspect, prompt, negative_prompt, settings_json, resolved_seed,
    frame_count, state, progress, error_code, error_message, error_suggestion, error_detail,
    parent_job_id, relation, is_demo, cancel_requested, created_at, updated_at, queued_at,
    started_at, finished_at FROM jobs;
DROP TABLE jobs;
ALTER TABLE jobs_v2 RENAME TO jobs;
CREATE INDEX jobs_by_created ON jobs(created_at DESC, id DESC);
CREATE INDEX jobs_by_demo ON jobs(is_demo, created_at DESC, id DESC);
CREATE INDEX jobs_by_state ON jobs(state, created_at DESC);
CREATE INDEX jobs_by_mode ON jobs(mode, created_at DESC);
CREATE INDEX jobs_by_endpoint ON jobs(endpoint_name, created_at DESC);
CREATE INDEX jobs_by_template ON jobs(template_name, template_version, profile);
CREATE TRIGGER jobs_fts_insert AFTER INSERT ON jobs BEGIN
    INSERT INTO jobs_fts(rowid, prompt, negative_prompt) VALUES (new.rowid, new.prompt, new.negative_prompt);
END;
CREATE TRIGGER jobs_fts_delete AFTER DELETE ON jobs BEGIN
    INSERT INTO jobs_fts(jobs_fts, rowid, prompt, negative_prompt)
    VALUES ('delete', old.rowid, old.prompt, old.negative_prompt);
END;
CREATE TRIGGER jobs_fts_update AFTER UPDATE OF prompt, negative_prompt ON jobs BEGIN
    INSERT INTO jobs_fts(jobs_fts, rowid, prompt, negative_prompt)
    VALUES ('delete', old.rowid, old.prompt, old.negative_prompt);
    INSERT INTO jobs_fts(rowid, prompt, negative_prompt) VALUES (new.rowid, new.prompt, new.negative_prompt);
END;

CREATE TABLE assets_v2 (
    id               TEXT PRIMARY KEY,
    kind             TEXT NOT NULL CHECK (kind IN ('image', 'audio', 'video')),
    role             TEXT NOT NULL,
    original_name    TEXT NOT NULL,
    mime             TEXT NOT NULL,
    width            INTEGER,
    height           INTEGER,
    duration_seconds REAL,
    fps              REAL,
    frame_count      INTEGER,
    sample_rate      INTEGER,
    channels         INTEGER,
    codec            TEXT,
    size_bytes       INTEGER NOT NULL,
    sha256           TEXT NOT NULL,
    stored_path      TEXT NOT NULL,
    thumbnail_path   TEXT,
    waveform_json    TEXT,
    facts_json       TEXT NOT NULL,
    created_at       INTEGER NOT NULL,
    UNIQUE (sha256, role)
);
INSERT INTO assets_v2 SELECT * FROM assets;
DROP TABLE assets;
ALTER TABLE assets_v2 RENAME TO assets;

ALTER TABLE outputs ADD COLUMN duration_seconds REAL;
ALTER TABLE outputs ADD COLUMN width INTEGER;
ALTER TABLE outputs ADD COLUMN height INTEGER;
"#;

/// v3: publishing runs to S3-compatible storage. `publications` is a run's storage state (one
/// row per published or publishing run, with the failure a user can retry); `published_files`
/// is what a publish has already sent, so a publish that was killed resumes where it stopped;
/// `library_imports` marks runs imported from a team library with where they came from.
const V3_SHARING: &str = r#"
CREATE TABLE publications (
    job_id           TEXT PRIMARY KEY REFERENCES jobs(id) ON DELETE CASCADE,
    location         TEXT NOT NULL,
    state            TEXT NOT NULL CHECK (state IN ('publishing', 'published', 'failed')),
    error_code       TEXT,
    error_message    TEXT,
    error_suggestion TEXT,
    error_detail     TEXT,
    started_at       INTEGER NOT NULL,
    published_at     INTEGER,
    updated_at       INTEGER NOT NULL
);

CREATE TABLE published_files (
    job_id      TEXT NOT NULL REFERENCES publications(job_id) ON DELETE CASCADE,
    name        TEXT NOT NULL,
    size_bytes  INTEGER NOT NULL,
    uploaded    INTEGER NOT NULL DEFAULT 0 CHECK (uploaded IN (0, 1)),
    updated_at  INTEGER NOT NULL,
    PRIMARY KEY (job_id, name)
);

CREATE TABLE library_imports (
    job_id        TEXT PRIMARY KEY REFERENCES jobs(id) ON DELETE CASCADE,
    source_job_id TEXT NOT NULL,
    location      TEXT NOT NULL,
    imported_at   INTEGER NOT NULL
);
CREATE INDEX library_imports_by_source ON library_imports(location, source_job_id);
"#;

/// v4: server pools. A pool is a named, ordered set of existing endpoints (each keeps its own
/// keychain secret); pool and endpoint names share one namespace so a name given as a target is
/// never ambiguous (enforced by the API, which sees both tables). A pool may be the default
/// target instead of the default endpoint; the default endpoint stays marked either way so
/// single-server actions (doctor, preflight) keep a server to ask. Jobs need no new column:
/// the request keeps the pool as its target and `endpoint_name` the member it went to.
const V4_SERVER_POOLS: &str = r#"
CREATE TABLE pools (
    name                 TEXT PRIMARY KEY,
    failover             INTEGER NOT NULL DEFAULT 1 CHECK (failover IN (0, 1)),
    wait_warning_seconds INTEGER NOT NULL DEFAULT 600 CHECK (wait_warning_seconds >= 0),
    is_default           INTEGER NOT NULL DEFAULT 0 CHECK (is_default IN (0, 1)),
    created_at           INTEGER NOT NULL,
    updated_at           INTEGER NOT NULL
);
CREATE UNIQUE INDEX pools_one_default ON pools(is_default) WHERE is_default = 1;

CREATE TABLE pool_members (
    pool_name     TEXT NOT NULL REFERENCES pools(name) ON DELETE CASCADE,
    endpoint_name TEXT NOT NULL REFERENCES endpoints(name) ON DELETE CASCADE,
    position      INTEGER NOT NULL,
    PRIMARY KEY (pool_name, endpoint_name)
);
CREATE INDEX pool_members_by_endpoint ON pool_members(endpoint_name);
"#;

/// v5: the multipart uploads a publish has begun and not completed (file name -> upload id), so
/// the next publish or an unpublish aborts them on the server instead of leaving their parts
/// billed forever after a crash or kill -9. A row lives only while its upload is open. Deleting
/// the run drops its rows; the bucket's abort-incomplete-uploads rule covers those (STORAGE.md).
const V5_OPEN_UPLOADS: &str = r#"
CREATE TABLE open_uploads (
    job_id     TEXT NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
    name       TEXT NOT NULL,
    upload_id  TEXT NOT NULL,
    started_at INTEGER NOT NULL,
    PRIMARY KEY (job_id, name)
);
"#;
