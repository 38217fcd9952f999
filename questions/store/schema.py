"""The tables of the progress database, as ordered migrations; the schema version is their count."""

# Ordered migrations: MIGRATIONS[i] takes the schema from version i to version i + 1.
# v1 (first release): profiles, cards, review_log without `source`, quizzes, mock interviews, exercise attempts.
# v2: review_log.source (practice | mock; old rows are practice), bookmarks and notes tables.
# study: review_log rebuilt (SQLite cannot change a CHECK) so `source` also takes quiz | exercise (a miss sent back to
#   review) and each review keeps `card_before_json`, the card it replaced ('null': none; NULL: unknown, as in imports),
#   which undoing the last grade restores; study_plans holds each profile's interview date and daily limits.
# experiments: the sandbox's guided experiments a profile opened and passed (one row per profile and experiment).
_MIGRATION_V1 = """
CREATE TABLE profiles (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL
);
CREATE TABLE cards (
    profile_id INTEGER NOT NULL REFERENCES profiles(id) ON DELETE CASCADE,
    question_id TEXT NOT NULL,
    card_json TEXT NOT NULL,
    due TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (profile_id, question_id)
);
CREATE INDEX cards_by_due ON cards(profile_id, due);
CREATE TABLE review_log (
    id INTEGER PRIMARY KEY,
    profile_id INTEGER NOT NULL REFERENCES profiles(id) ON DELETE CASCADE,
    question_id TEXT NOT NULL,
    rating INTEGER NOT NULL CHECK (rating BETWEEN 1 AND 4),
    review_datetime TEXT NOT NULL,
    answer_text TEXT,
    log_json TEXT NOT NULL
);
CREATE INDEX review_log_by_time ON review_log(profile_id, review_datetime);
CREATE TABLE quiz_results (
    id INTEGER PRIMARY KEY,
    profile_id INTEGER NOT NULL REFERENCES profiles(id) ON DELETE CASCADE,
    topic TEXT,
    question_ids_json TEXT NOT NULL,
    answers_json TEXT NOT NULL,
    score INTEGER NOT NULL,
    total INTEGER NOT NULL,
    taken_at TEXT NOT NULL
);
CREATE INDEX quiz_results_by_profile ON quiz_results(profile_id, taken_at);
CREATE TABLE mock_sessions (
    id INTEGER PRIMARY KEY,
    profile_id INTEGER NOT NULL REFERENCES profiles(id) ON DELETE CASCADE,
    taken_at TEXT NOT NULL
);
CREATE INDEX mock_sessions_by_profile ON mock_sessions(profile_id, taken_at);
CREATE TABLE mock_items (
    session_id INTEGER NOT NULL REFERENCES mock_sessions(id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    question_id TEXT NOT NULL,
    answer_text TEXT,
    seconds REAL,
    rating INTEGER CHECK (rating IS NULL OR rating BETWEEN 1 AND 4),
    PRIMARY KEY (session_id, position)
);
CREATE TABLE exercise_attempts (
    id INTEGER PRIMARY KEY,
    profile_id INTEGER NOT NULL REFERENCES profiles(id) ON DELETE CASCADE,
    slug TEXT NOT NULL,
    status TEXT NOT NULL,
    passed INTEGER NOT NULL,
    total INTEGER NOT NULL,
    code TEXT,
    attempted_at TEXT NOT NULL
);
CREATE INDEX exercise_attempts_by_profile ON exercise_attempts(profile_id, slug, attempted_at);
"""

_MIGRATION_V2 = """
ALTER TABLE review_log ADD COLUMN source TEXT NOT NULL DEFAULT 'practice' CHECK (source IN ('practice', 'mock'));
CREATE TABLE bookmarks (
    profile_id INTEGER NOT NULL REFERENCES profiles(id) ON DELETE CASCADE,
    question_id TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (profile_id, question_id)
);
CREATE TABLE notes (
    profile_id INTEGER NOT NULL REFERENCES profiles(id) ON DELETE CASCADE,
    question_id TEXT NOT NULL,
    text TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (profile_id, question_id)
);
"""

_MIGRATION_STUDY = """
CREATE TABLE review_log_study (
    id INTEGER PRIMARY KEY,
    profile_id INTEGER NOT NULL REFERENCES profiles(id) ON DELETE CASCADE,
    question_id TEXT NOT NULL,
    rating INTEGER NOT NULL CHECK (rating BETWEEN 1 AND 4),
    review_datetime TEXT NOT NULL,
    answer_text TEXT,
    log_json TEXT NOT NULL,
    source TEXT NOT NULL DEFAULT 'practice' CHECK (source IN ('practice', 'mock', 'quiz', 'exercise')),
    card_before_json TEXT
);
INSERT INTO review_log_study(id, profile_id, question_id, rating, review_datetime, answer_text, log_json, source)
    SELECT id, profile_id, question_id, rating, review_datetime, answer_text, log_json, source FROM review_log;
DROP TABLE review_log;
ALTER TABLE review_log_study RENAME TO review_log;
CREATE INDEX review_log_by_time ON review_log(profile_id, review_datetime);
CREATE TABLE study_plans (
    profile_id INTEGER PRIMARY KEY REFERENCES profiles(id) ON DELETE CASCADE,
    interview_date TEXT,
    daily_minutes INTEGER NOT NULL CHECK (daily_minutes > 0),
    new_per_day INTEGER NOT NULL CHECK (new_per_day >= 0),
    review_limit INTEGER NOT NULL CHECK (review_limit >= 0),
    updated_at TEXT NOT NULL
);
"""

_MIGRATION_EXPERIMENTS = """
CREATE TABLE experiment_progress (
    profile_id INTEGER NOT NULL REFERENCES profiles(id) ON DELETE CASCADE,
    experiment_id TEXT NOT NULL,
    started_at TEXT NOT NULL,
    passed_at TEXT,
    PRIMARY KEY (profile_id, experiment_id)
);
"""

MIGRATIONS: tuple[str, ...] = (_MIGRATION_V1, _MIGRATION_V2, _MIGRATION_STUDY, _MIGRATION_EXPERIMENTS)
SCHEMA_VERSION = len(MIGRATIONS)
