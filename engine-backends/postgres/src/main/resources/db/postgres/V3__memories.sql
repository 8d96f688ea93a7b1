-- Memory items: the codec's bytes addressed by (tenant, namespace path, key). ns_path is the namespace's segments
-- joined by '/' (segments never contain '/'); under COLLATE "C" every path under a prefix p sorts in the range
-- (p || '/', p || '0'), '0' being the character after '/', so the primary key serves prefix scans as index ranges.
-- Idempotent: a schema where the table already exists is left as it is.
CREATE TABLE IF NOT EXISTS ${schema}.memories (
    tenant     text COLLATE "C" NOT NULL,
    ns_path    text COLLATE "C" NOT NULL,
    key        text COLLATE "C" NOT NULL,
    data       bytea  NOT NULL,
    expires_at bigint,
    updated_at bigint NOT NULL,
    PRIMARY KEY (tenant, ns_path, key)
);

CREATE INDEX IF NOT EXISTS memories_expires_at ON ${schema}.memories (expires_at) WHERE expires_at IS NOT NULL;
