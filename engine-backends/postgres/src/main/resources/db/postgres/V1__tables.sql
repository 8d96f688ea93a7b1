-- Ids are compared byte-wise (COLLATE "C"), so the primary key's order is the listing order, String.compareTo's.
-- Times are the engine clock's epoch milliseconds; expires_at is NULL for a thread without TTL.
CREATE TABLE ${schema}.threads (
    tenant     text COLLATE "C" NOT NULL,
    thread_id  text COLLATE "C" NOT NULL,
    ns         text COLLATE "C" NOT NULL,
    head       bigint NOT NULL,
    generation bigint NOT NULL,
    created_at bigint NOT NULL,
    updated_at bigint NOT NULL,
    expires_at bigint,
    ttl_ms     bigint NOT NULL DEFAULT 0,
    metadata   jsonb  NOT NULL DEFAULT '{}',
    PRIMARY KEY (tenant, thread_id, ns)
);

CREATE INDEX threads_expires_at ON ${schema}.threads (expires_at) WHERE expires_at IS NOT NULL;
CREATE INDEX threads_metadata ON ${schema}.threads USING gin (metadata jsonb_path_ops);

-- The primary key is the optimistic-concurrency guard: one row per (thread, version), whoever writes it. Event ids
-- are unique per thread; the id leads that index so a retry's lookup is selective whatever the statistics say.
CREATE TABLE ${schema}.events (
    tenant    text COLLATE "C" NOT NULL,
    thread_id text COLLATE "C" NOT NULL,
    ns        text COLLATE "C" NOT NULL,
    version   bigint NOT NULL,
    event_id  uuid   NOT NULL,
    type      text   NOT NULL,
    ts        bigint NOT NULL,
    data      bytea  NOT NULL,
    PRIMARY KEY (tenant, thread_id, ns, version),
    CONSTRAINT events_event_id_key UNIQUE (event_id, tenant, thread_id, ns)
);

CREATE TABLE ${schema}.checkpoints (
    tenant     text COLLATE "C" NOT NULL,
    thread_id  text COLLATE "C" NOT NULL,
    ns         text COLLATE "C" NOT NULL,
    version    bigint NOT NULL,
    generation bigint NOT NULL,
    created_at bigint NOT NULL,
    data       bytea  NOT NULL,
    PRIMARY KEY (tenant, thread_id, ns, version)
);
