-- The WorkflowBench warehouse: every table, in one place.
--
-- Build stages never write this file directly. Each batch writes one directory of Parquet
-- shards under <warehouse>.parts/ (atomically, keyed by the content of its inputs), and a
-- publish step loads all shards into a fresh copy of this schema in a staging file that is
-- then renamed over the warehouse. Readers keep whatever file they opened; reruns add nothing
-- because every table is deduplicated on its key.
--
-- This file is the only definition of the tables: the Arrow schemas of the shards, each table's
-- key and which row wins per key are all read from it (workflowbench/warehouse/schema.py). Above
-- each CREATE TABLE, `-- key: columns` names the key and `-- keep: ORDER BY terms` ranks the rows
-- that share it (the first wins; default: the key columns, i.e. any one of identical rows).
-- `-- sort: columns` (optional) is the order publish stores the rows in, for the queries that read
-- them in that order (read with the derived tables by workflowbench/warehouse/derived.py).
--
-- A table declared `CREATE TABLE name AS SELECT` is derived: no stage writes it and no shard holds
-- it; publish makes it from the tables named on its `-- from:` line whenever one of them was
-- loaded again, and copies it with them otherwise.

-- One row per distinct shortcut. id = sha256 of the canonical workflow dictionary, so the same
-- shortcut in several containers (signed, plist, JSON) is one row.
-- key: id
-- keep: source_path, ingested_at
CREATE TABLE shortcuts (
    id              VARCHAR PRIMARY KEY,
    name            VARCHAR NOT NULL,
    source          VARCHAR NOT NULL,   -- the collection: the folder the build was pointed at
    source_path     VARCHAR NOT NULL,   -- the first file (in path order) that held it
    container       VARCHAR NOT NULL,   -- signed | bplist | xml | json | wflow
    signing         VARCHAR NOT NULL,   -- unsigned | icloud | contact | unknown
    bytes           BIGINT  NOT NULL,   -- size of that file
    file_sha256     VARCHAR NOT NULL,
    action_count    INTEGER NOT NULL,
    max_depth       INTEGER NOT NULL,   -- most control-flow blocks open at once
    defect_count    INTEGER NOT NULL,
    client_version  VARCHAR,
    ingested_at     TIMESTAMP NOT NULL
);

-- One row per file read successfully; several files may hold one shortcut.
-- key: file_sha256, path
-- keep: ingested_at
CREATE TABLE files (
    path            VARCHAR NOT NULL,
    source          VARCHAR NOT NULL,
    file_sha256     VARCHAR NOT NULL,
    bytes           BIGINT  NOT NULL,
    container       VARCHAR NOT NULL,
    shortcut_id     VARCHAR NOT NULL,
    ingested_at     TIMESTAMP NOT NULL
);

-- The ordered actions of each shortcut.
-- key: shortcut_id, position
CREATE TABLE actions (
    shortcut_id     VARCHAR NOT NULL,
    position        INTEGER NOT NULL,   -- 0-based index in the flat action list
    identifier      VARCHAR NOT NULL,
    app             VARCHAR NOT NULL,   -- 'shortcuts' for built-ins, else the bundle id
    depth           INTEGER NOT NULL,   -- enclosing control-flow blocks
    role            VARCHAR,            -- start | middle | end | NULL (plain action)
    block_group     VARCHAR,            -- GroupingIdentifier of its block
    parameters      JSON    NOT NULL    -- canonical JSON (bytes as base64, dates as ISO text)
);

-- Damaged control-flow blocks and malformed values found in a shortcut.
-- key: shortcut_id, position, kind, block_group, detail
CREATE TABLE defects (
    shortcut_id     VARCHAR NOT NULL,
    position        INTEGER NOT NULL,
    kind            VARCHAR NOT NULL,
    block_group     VARCHAR,
    detail          VARCHAR NOT NULL
);

-- The workflow dictionary itself, as a binary plist, for later stages.
-- key: shortcut_id
CREATE TABLE plists (
    shortcut_id     VARCHAR PRIMARY KEY,
    plist           BLOB    NOT NULL
);

-- Each shortcut as Python-style code (workflowbench.to_code), written by the transpile stage that runs
-- in every ingest batch. The code is checked with ast.parse, never run. A shortcut the transpiler
-- fails on has status 'failed', NULL code columns, and a rejects row (stage 'transpile').
-- A batch rebuilt by a newer transpiler replaces its older shard, so one version's row is current.
-- key: shortcut_id
CREATE TABLE code (
    shortcut_id     VARCHAR PRIMARY KEY,  -- shortcuts.id
    status          VARCHAR NOT NULL,   -- ok | failed
    reason          VARCHAR,            -- failed: transpile-error | invalid-code (as in rejects.reason)
    code            VARCHAR,            -- the code text, ending in a newline ('' for no actions)
    names           JSON,               -- {output UUID: its name in the code}
    lines           JSON,               -- [[line, position], ...]: 1-based code line of each action (actions.position)
    general         INTEGER,            -- values written in the fallback plist(...) form
    line_count      INTEGER,
    transpiler_version VARCHAR NOT NULL,
    transpiled_at   TIMESTAMP NOT NULL
);

-- The API catalog (stage catalog, workflowbench/catalog): one row per action identifier, merged from
-- Apple's action definitions, ShortcutsBench, WorkflowLLM and the ingested corpus, with per-field
-- provenance. Rebuilt as a whole when its inputs change.
-- key: identifier
CREATE TABLE apis (
    identifier      VARCHAR PRIMARY KEY,
    function        VARCHAR NOT NULL,   -- its name in code (workflowbench.names.function_name)
    app             VARCHAR NOT NULL,   -- bundle id; 'shortcuts' for built-ins
    name            VARCHAR,
    description     VARCHAR,
    input_key       VARCHAR,            -- the parameter that takes the previous action's output
    output_name     VARCHAR,
    output_type     VARCHAR,
    tags            JSON,               -- WorkflowLLM's functional tags
    json_schema     JSON NOT NULL,      -- JSON Schema (draft 2020-12) of its parameters
    stub            VARCHAR NOT NULL,   -- Python stub with a docstring, for prompts
    uses            INTEGER NOT NULL,   -- occurrences in the corpus
    provenance      JSON NOT NULL       -- {field: source}
);

-- Parameters of each API.
-- key: identifier, key
CREATE TABLE api_params (
    identifier      VARCHAR NOT NULL,
    key             VARCHAR NOT NULL,
    position        INTEGER NOT NULL,
    label           VARCHAR,
    type            VARCHAR NOT NULL,   -- string | number | integer | boolean | enum | date | dictionary | list | file | object | unknown
    required        BOOLEAN NOT NULL,
    default_value   JSON,
    enum_values     JSON,               -- NULL when no source knows any
    accepts_variables BOOLEAN NOT NULL,
    description     VARCHAR,
    provenance      JSON NOT NULL
);

-- Apps the APIs belong to.
-- key: bundle_id
CREATE TABLE apps (
    bundle_id       VARCHAR PRIMARY KEY,
    name            VARCHAR,
    kind            VARCHAR NOT NULL,   -- built-in | apple | third-party
    api_count       INTEGER NOT NULL
);

-- The fixed taxonomy of 28 shortcut categories (workflowbench/catalog/categories.py).
-- key: name
CREATE TABLE categories (
    name            VARCHAR PRIMARY KEY,
    position        INTEGER NOT NULL
);

-- The category of each seed shortcut and how it was chosen.
-- key: shortcut_id
CREATE TABLE shortcut_categories (
    shortcut_id     VARCHAR PRIMARY KEY,
    category        VARCHAR NOT NULL,
    rule            VARCHAR NOT NULL,   -- 'vote' (its APIs' tags and apps), 'fallback' (nothing voted), or the site
                                        -- whose category it is ('routinehub'; table shortcut_metadata)
    detail          JSON                -- {tags: counts the rule saw, scores: category -> score}; a site's rule
                                        -- adds {site, site_category, vote: what the vote said}
);

-- Corpus actions checked against their API's schema: each failure is a finding about the schema or
-- the data, kept with its reason.
-- key: shortcut_id, position, key, reason
CREATE TABLE catalog_findings (
    shortcut_id     VARCHAR NOT NULL,
    position        INTEGER NOT NULL,
    identifier      VARCHAR NOT NULL,
    key             VARCHAR NOT NULL,   -- '' when the finding is about the action, not a parameter
    reason          VARCHAR NOT NULL,   -- type | enum | required | unknown-key | no-api | widened (a value
                                        -- the documented schema refused; the catalog now takes it)
    detail          VARCHAR
);

-- Training samples in the WorkflowBench format (query, apis, task_plan, workflow_code). Seed samples
-- come from real shortcuts through the thoughts stage; every row names the backend and model that
-- wrote its thoughts. A sample whose thoughts could not be made is kept with status 'failed' and the
-- reason, never filled in. An ok row wins over a failed one (a failed retry never hides a good
-- sample), then the latest.
-- key: sample_id
-- keep: status = 'ok' DESC, created_at DESC
CREATE TABLE samples (
    sample_id       VARCHAR PRIMARY KEY,
    shortcut_id     VARCHAR NOT NULL,
    origin          VARCHAR NOT NULL,   -- seed | synthetic
    status          VARCHAR NOT NULL,   -- ok | failed
    error           VARCHAR,            -- why it failed (the failed LLM call's reason)
    query           VARCHAR,
    apis            VARCHAR[],          -- action identifiers the code uses, in order of first use
    task_plan       VARCHAR,            -- numbered steps
    workflow_code   VARCHAR,            -- the code with a '#' comment before every action line
    category        VARCHAR,
    backend         VARCHAR NOT NULL,   -- offline | openai
    model           VARCHAR NOT NULL,
    prompt_versions JSON,               -- prompt name -> content hash (LLM backend)
    chunks          INTEGER NOT NULL,   -- pieces the code was split into to fit the token budget
    created_at      TIMESTAMP NOT NULL,
    spec_id         VARCHAR,            -- synthetic: the spec it was made for (specs.spec_id)
    lineage         JSON,               -- synthetic: {spec, examples: seed sample ids, fragments: seed sample ids drawn on}
    action_count    INTEGER             -- actions of the workflow the code stands for (NULL in rows written before it was recorded)
);

-- What each synthetic sample must cover (stage specs, workflowbench/synth/specs.py): a category
-- theme, a difficulty level, the APIs of 1-5 apps and the seed samples shown as examples. Spec
-- `position` of a `seed` depends only on both and on the inputs (`inputs`: a hash of the catalog
-- and seed rows drawn from).
-- key: spec_id
CREATE TABLE specs (
    spec_id         VARCHAR PRIMARY KEY,
    seed            BIGINT  NOT NULL,
    position        INTEGER NOT NULL,   -- the spec's index for that seed
    category        VARCHAR NOT NULL,   -- one of the 28 (table categories)
    level           VARCHAR NOT NULL,   -- easy (1-2 APIs, linear) | medium (3-5, one branch or loop) | hard (6+, 2+ apps, nested)
    apps            VARCHAR[] NOT NULL, -- bundle ids, 'shortcuts' for built-ins
    apis            VARCHAR[] NOT NULL, -- action identifiers the sample must use
    builtin         INTEGER NOT NULL,   -- how many of them are built-in
    examples        VARCHAR[] NOT NULL, -- samples.sample_id of the seeds shown as examples
    inputs          VARCHAR NOT NULL,
    created_at      TIMESTAMP NOT NULL
);

-- The request each synthetic sample answers. With an endpoint for the `expand` role, the expand stage
-- asks an LLM for a new request that needs the spec's APIs and names none of them
-- (workflowbench/synth/expand.py); with none, the synthesize stage writes the request from the
-- workflow the offline annotator recombined for the spec. A failed row keeps the reason; an ok row
-- wins over a failed one, then the latest.
-- key: spec_id
-- keep: status = 'ok' DESC, created_at DESC
CREATE TABLE queries (
    spec_id         VARCHAR PRIMARY KEY, -- specs.spec_id
    status          VARCHAR NOT NULL,   -- ok | failed
    error           VARCHAR,            -- why it failed: 'check: leak: ...', 'schema: ...', 'http 500 ...'
    query           VARCHAR,
    backend         VARCHAR NOT NULL,   -- openai | offline
    model           VARCHAR NOT NULL,
    prompt_version  VARCHAR,            -- the expand prompt's content hash (NULL offline)
    lineage         JSON NOT NULL,      -- {examples: seed sample ids shown in the prompt, written_from?: 'code'}
    created_at      TIMESTAMP NOT NULL
);

-- What the training view of a sample's code shows in place of a blob (data, base64, a data: URL)
-- or of the end of a very long text. The original is at `path` of action `position` in the
-- shortcut's stored plist (table plists); sha256 is of the original bytes (text: its UTF-8).
-- key: sample_id, position, path
CREATE TABLE placeholders (
    sample_id       VARCHAR NOT NULL,   -- samples.sample_id
    shortcut_id     VARCHAR NOT NULL,
    position        INTEGER NOT NULL,   -- the action's 0-based index
    path            VARCHAR NOT NULL,   -- keys and list indices inside its parameters, '/'-separated
    kind            VARCHAR NOT NULL,   -- 'PNG image', 'base64 JPEG image', 'data', 'text', ...
    size            BIGINT  NOT NULL,   -- bytes of data (decoded for base64), characters of text
    sha256          VARCHAR NOT NULL,
    placeholder     VARCHAR NOT NULL    -- what the code shows instead (for text: the cut marker)
);

-- Failed attempts at samples, beside the samples table: when an attempt fails where a good row
-- exists (another model, an endpoint gone), samples keeps the good row and the failure is here.
-- A failure leaves once a retry of the same work succeeds (its shard is replaced).
-- key: sample_id, backend, model, created_at
CREATE TABLE sample_failures (
    sample_id       VARCHAR NOT NULL,   -- samples.sample_id
    shortcut_id     VARCHAR NOT NULL,
    backend         VARCHAR NOT NULL,
    model           VARCHAR NOT NULL,
    error           VARCHAR NOT NULL,
    created_at      TIMESTAMP NOT NULL
);

-- Every live LLM call (cache hits make none): the cache of answers and the record of failures.
-- fingerprint = sha256 of model, messages, schema, sampling parameters and prompt version. The key
-- is never stored.
-- key: call_id
CREATE TABLE llm_calls (
    call_id         VARCHAR PRIMARY KEY,
    fingerprint     VARCHAR NOT NULL,
    stage           VARCHAR NOT NULL,
    prompt          VARCHAR NOT NULL,
    prompt_version  VARCHAR NOT NULL,
    backend         VARCHAR NOT NULL,
    base_url        VARCHAR NOT NULL,
    model           VARCHAR NOT NULL,
    status          VARCHAR NOT NULL,   -- ok | failed
    error           VARCHAR,            -- rate-limit / http / timeout / connection refused / connection dropped / invalid-json / schema / truncated / check
    attempts        INTEGER NOT NULL,   -- HTTP requests sent: retries and repair turns included
    repairs         INTEGER NOT NULL,   -- extra turns asking to fix an unusable answer
    json_mode       VARCHAR NOT NULL,   -- json_schema | json_object (server without structured output)
    tokens_in       INTEGER NOT NULL,
    tokens_out      INTEGER NOT NULL,
    latency_ms      DOUBLE  NOT NULL,   -- time in HTTP requests (all attempts), not waiting for a slot
    cost            DOUBLE  NOT NULL,   -- from the configured prices per million tokens
    finish_reason   VARCHAR,
    response        JSON,               -- the parsed answer (ok calls)
    created_at      TIMESTAMP NOT NULL
);

-- Inputs a stage could not use, with a machine-readable reason.
-- key: path, file_sha256, stage, reason
-- keep: "at"
CREATE TABLE rejects (
    source          VARCHAR NOT NULL,
    path            VARCHAR NOT NULL,
    file_sha256     VARCHAR,            -- NULL when the file could not be read at all
    stage           VARCHAR NOT NULL,
    reason          VARCHAR NOT NULL,
    detail          VARCHAR NOT NULL,
    "at"            TIMESTAMP NOT NULL  -- quoted: AT is a keyword in DuckDB
);

-- A label on every action of every ok sample whose code maps to a workflow (the rules stage's
-- static analysis, workflowbench/checks/labels.py): +1 a correct step that advances the task, 0
-- neutral (no effect on the result, or unsure), -1 wrong (unknown API, invalid parameter, a
-- reference to nothing made before, a repeat of a wrong step, or a value taken from a wrong step).
-- key: sample_id, position, source
-- keep: created_at DESC
-- sort: sample_id, position, source
CREATE TABLE step_labels (
    sample_id       VARCHAR NOT NULL,   -- samples.sample_id
    position        INTEGER NOT NULL,   -- the action's 0-based index in the workflow read from the code
    line            INTEGER,            -- its 1-based line in samples.workflow_code (NULL: not found)
    identifier      VARCHAR NOT NULL,
    label           TINYINT NOT NULL,   -- 1 | 0 | -1
    reason          VARCHAR NOT NULL,   -- ok | no-effect | output-unused | unknown-api | invalid-parameter: ... | depends-on-wrong-step: N | ...
    source          VARCHAR NOT NULL,   -- static
    created_at      TIMESTAMP NOT NULL
);

-- What the duplicate checks compare of each ok sample's code (stage sketch,
-- workflowbench/stages/sketch.py, made in batches that run in parallel): the hash of its canonical
-- form and its MinHash signature. The dedup gate and the splits' decontamination read these instead
-- of the code, and sketch a sample themselves when it has none for its current code and settings.
-- key: sample_id, code_sha256, num_perm, shingle
-- keep: created_at DESC
CREATE TABLE sketches (
    sample_id       VARCHAR NOT NULL,   -- samples.sample_id
    code_sha256     VARCHAR NOT NULL,   -- sha256 of the samples.workflow_code it was made from
    num_perm        INTEGER NOT NULL,   -- MinHash permutations
    shingle         INTEGER NOT NULL,   -- tokens per shingle
    exact           VARCHAR,            -- sha256 of the canonical code (workflowbench/checks/dedup.py); NULL: the code does not tokenize
    minhash         BLOB,               -- num_perm little-endian uint32 values (rensa, seed 20241105); NULL as exact
    created_at      TIMESTAMP NOT NULL
);

-- One verdict per sample and gate (a stage that only decides about samples): keep, drop with a
-- reason, or unknown when the check itself could not be made (never counted as a drop). The latest
-- decision per gate wins.
-- key: sample_id, gate
-- keep: decided_at DESC
CREATE TABLE verdicts (
    sample_id       VARCHAR NOT NULL,   -- samples.sample_id
    gate            VARCHAR NOT NULL,   -- the gate's stage name, e.g. 'min-actions'
    verdict         VARCHAR NOT NULL,   -- keep | drop | unknown
    reason          VARCHAR,            -- drop / unknown: a machine-readable slug
    detail          VARCHAR,
    decided_at      TIMESTAMP NOT NULL
);

-- The split of every kept sample (ok, and no gate dropped it; stage splits,
-- workflowbench/checks/splits.py): seeds by a hash of their shortcut id in the paper's proportions,
-- `ood` for seeds using a held-out app, synthetic samples by the seeds they drew on, and `excluded`
-- for what would leak into dev, test or ood (a near duplicate of a held-out sample, a synthetic
-- sample drawn on a held-out seed or using a held-out API).
-- key: sample_id
-- keep: created_at DESC
CREATE TABLE splits (
    sample_id       VARCHAR PRIMARY KEY, -- samples.sample_id
    split           VARCHAR NOT NULL,   -- train | reward | dev | test | ood | excluded
    reason          VARCHAR NOT NULL,   -- seed-hash | held-out-app | lineage | no-lineage | drew-on-held-out-seed | held-out-api | near-duplicate-of-held-out: <sample>
    created_at      TIMESTAMP NOT NULL
);

-- Contrastive negatives for process reward models (stage negatives, workflowbench/checks/negatives.py):
-- a sample's code with one step corrupted, and a label on every step. Never a sample: the dataset
-- holds positives only. A negative keeps its source sample's split.
-- key: negative_id
-- keep: created_at DESC
CREATE TABLE negatives (
    negative_id     VARCHAR PRIMARY KEY, -- <sample_id>~<kind>
    sample_id       VARCHAR NOT NULL,   -- the sample it was made from
    split           VARCHAR,            -- the source's split
    kind            VARCHAR NOT NULL,   -- wrong-api | missing-parameter | broken-reference | redundant-step
    position        INTEGER NOT NULL,   -- the corrupted action
    query           VARCHAR,
    task_plan       VARCHAR,
    workflow_code   VARCHAR NOT NULL,   -- the corrupted code
    labels          INTEGER[] NOT NULL, -- per action: 1 | 0 | -1 (the corrupted step and what depends on it: -1)
    reasons         VARCHAR[] NOT NULL, -- per action: 'corrupted: <kind>', 'depends-on-wrong-step: N', or the static reason
    lines           INTEGER[] NOT NULL, -- per action: its line in workflow_code
    created_at      TIMESTAMP NOT NULL
);

-- What the dataset adds to each of its samples (derived: made by publish, see the top): every kept
-- sample in a split, with the gates that could not decide on it (kept, flagged) and its step labels
-- (+1 / 0 / -1 counts; `labels` in action order, an action's labels from several sources in source
-- order, so that the same rows give the same lists). Kept as a table so that a query of the dataset
-- does not aggregate every verdict and step label again.
-- from: splits, verdicts, step_labels
CREATE TABLE kept_samples AS
SELECT p.sample_id, p.split,
       coalesce(u.gates, []) AS unknown_gates,
       coalesce(l.good, 0) AS steps_good, coalesce(l.neutral, 0) AS steps_neutral, coalesce(l.wrong, 0) AS steps_wrong,
       coalesce(l.labels, []) AS labels
FROM splits p
LEFT JOIN (SELECT sample_id, list(gate ORDER BY gate) AS gates FROM verdicts WHERE verdict = 'unknown'
           GROUP BY 1) u USING (sample_id)
LEFT JOIN (SELECT sample_id, count(*) FILTER (label = 1) AS good, count(*) FILTER (label = 0) AS neutral,
                  count(*) FILTER (label = -1) AS wrong, list(label ORDER BY position, source) AS labels
           FROM step_labels GROUP BY 1) l USING (sample_id)
WHERE p.split <> 'excluded';

-- The dataset: every kept sample in a split, with the gates that could not decide on it (kept,
-- flagged) and its step labels (+1 / 0 / -1 counts; `labels` in action order).
CREATE VIEW dataset AS
SELECT s.sample_id, k.split, s.origin, s.category, s.query, s.apis, s.task_plan, s.workflow_code,
       s.backend, s.model, s.spec_id, s.lineage,
       k.unknown_gates, k.steps_good, k.steps_neutral, k.steps_wrong, k.labels
FROM samples s
JOIN kept_samples k USING (sample_id);

-- What a shortcut's source published about it: the metadata record beside its file
-- (`<file>.meta.json`, written by `workflowbench crawl`, workflowbench/crawl/sidecar.py), read by the
-- ingest stage, one row per file that has one, with where each field came from. Join on
-- shortcut_id = shortcuts.id (whose name is this row's name). The iCloud record's name and the site's
-- title are both kept where they differ. The site's category as the site names it; mapped onto the 28
-- categories it wins over the tag vote in shortcut_categories (rule = the site). The latest record wins.
-- key: shortcut_id, path
-- keep: retrieved_at DESC NULLS LAST
CREATE TABLE shortcut_metadata (
    shortcut_id     VARCHAR NOT NULL,   -- shortcuts.id
    path            VARCHAR NOT NULL,   -- the file it describes (files.path)
    metadata_path   VARCHAR NOT NULL,   -- the metadata record's path
    site            VARCHAR NOT NULL,   -- routinehub | icloud
    site_id         VARCHAR,            -- the shortcut's id there (RoutineHub id, iCloud record id)
    url             VARCHAR,            -- the page it was collected from (the source URL)
    name            VARCHAR,            -- the name it goes by: the iCloud record's, else the title
    title           VARCHAR,            -- the site's title (RoutineHub page; a URL list's title)
    description     VARCHAR,            -- the site's description, else its one-line summary
    site_category   VARCHAR,            -- the site's category (its first), as the site names it
    categories      VARCHAR[],          -- every category the site gives
    author          VARCHAR,
    version         VARCHAR,            -- the version the file is (RoutineHub's latest when collected)
    released        VARCHAR,            -- that version's release, as the site writes it
    downloads       BIGINT,
    hearts          BIGINT,
    icloud_url      VARCHAR,            -- the iCloud link the file was downloaded through
    icloud_name     VARCHAR,            -- the iCloud record's name
    retrieved_at    TIMESTAMP,          -- when the file was downloaded
    provenance      JSON NOT NULL,      -- field -> routinehub-page | routinehub-api | icloud-record | url-list
    record          JSON NOT NULL       -- the whole metadata record as read
);
