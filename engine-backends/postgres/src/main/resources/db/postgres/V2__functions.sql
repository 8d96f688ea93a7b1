-- Lock discipline: whoever writes or removes a thread's events first locks its threads row (or inserts it), and in
-- these functions every statement sees what committed before it started, so the events read after the lock are all there.

-- Appends several threads' batches in one transaction, each under the rules of LogAppend, in array order (the caller
-- sorts by key, so concurrent calls lock rows in one order and never deadlock). A refused append writes nothing and
-- returns its status: 0 appended, 1 deduplicated, 2 version conflict (r_head), 3 an id stored with other bytes
-- (r_detail = the id), 4 some ids stored and some not (r_detail = how many), 5 the ids were stored by different appends.
CREATE FUNCTION ${schema}.append_batch(
    p_tenant     text[],
    p_thread     text[],
    p_ns         text[],
    p_expected   bigint[],
    p_now        bigint[],
    p_ttl        bigint[],
    p_generation bigint[],
    p_meta_count int[],
    p_meta_keys  text[],
    p_meta_vals  text[],
    p_ev_count   int[],
    p_ids        uuid[],
    p_types      text[],
    p_ts         bigint[],
    p_offsets    int[],
    p_lens       int[],
    p_data       bytea)
RETURNS TABLE (r_idx int, r_status int, r_first bigint, r_last bigint, r_head bigint, r_detail text)
LANGUAGE plpgsql AS $fn$
DECLARE
    ev0      int := 0;
    meta0    int := 0;
    n        int;
    attempts int;
    row_found boolean;
    t        record;
    alive    boolean;
    cur      bigint;
    found_n  bigint;
    mismatch int;
    lo_delta bigint;
    hi_delta bigint;
    lo_v     bigint;
    hi_v     bigint;
    new_ttl  bigint;
    meta     jsonb;
    ids      uuid[];
    wrote    boolean := false;
BEGIN
    FOR i IN 1 .. coalesce(array_length(p_tenant, 1), 0) LOOP
        n := p_ev_count[i];
        attempts := 0;
        r_idx := i; r_status := NULL; r_first := 0; r_last := 0; r_head := 0; r_detail := NULL;
        LOOP
            attempts := attempts + 1;
            SELECT th.head, th.expires_at, th.ttl_ms INTO t
              FROM ${schema}.threads th
             WHERE th.tenant = p_tenant[i] AND th.thread_id = p_thread[i] AND th.ns = p_ns[i]
               FOR UPDATE;
            row_found := FOUND;
            alive := row_found AND (t.expires_at IS NULL OR t.expires_at > p_now[i]);
            cur := CASE WHEN alive THEN t.head ELSE 0 END;

            found_n := 0; mismatch := NULL;
            IF cur > 0 THEN
                ids := p_ids[ev0 + 1 : ev0 + n];
                SELECT count(*),
                       min(x.k) FILTER (WHERE x.data <> substring(p_data FROM p_offsets[ev0 + x.k] + 1 FOR p_lens[ev0 + x.k])),
                       min(x.version - x.k), max(x.version - x.k), min(x.version), max(x.version)
                  INTO found_n, mismatch, lo_delta, hi_delta, lo_v, hi_v
                  FROM (SELECT e.tenant, e.thread_id, e.ns, e.version, e.data, array_position(ids, e.event_id) AS k
                          FROM ${schema}.events e
                         WHERE e.event_id = ANY (ids)
                        OFFSET 0) x  -- a fence: the ids, not the thread, pick the rows, whatever the plan's estimates
                 WHERE x.tenant = p_tenant[i] AND x.thread_id = p_thread[i] AND x.ns = p_ns[i];
            END IF;

            IF mismatch IS NOT NULL THEN
                r_status := 3; r_detail := p_ids[ev0 + mismatch]::text;
            ELSIF found_n = n THEN
                IF lo_delta <> hi_delta THEN
                    r_status := 5;
                ELSE
                    r_status := 1; r_first := lo_v; r_last := hi_v;
                END IF;
            ELSIF found_n > 0 THEN
                r_status := 4; r_detail := found_n::text;
            ELSIF p_expected[i] >= 0 AND p_expected[i] <> cur THEN
                r_status := 2; r_head := cur;
            END IF;
            EXIT WHEN r_status IS NOT NULL;

            new_ttl := CASE WHEN p_ttl[i] >= 0 THEN p_ttl[i] WHEN alive THEN t.ttl_ms ELSE 0 END;
            IF NOT alive THEN
                meta := jsonb_object(coalesce(p_meta_keys[meta0 + 1 : meta0 + p_meta_count[i]], '{}'),
                                     coalesce(p_meta_vals[meta0 + 1 : meta0 + p_meta_count[i]], '{}'));
            END IF;
            IF NOT row_found THEN
                INSERT INTO ${schema}.threads AS th
                       (tenant, thread_id, ns, head, generation, created_at, updated_at, expires_at, ttl_ms, metadata)
                VALUES (p_tenant[i], p_thread[i], p_ns[i], n, p_generation[i], p_now[i], p_now[i],
                        CASE WHEN new_ttl > 0 THEN p_now[i] + new_ttl END, new_ttl, meta)
                ON CONFLICT DO NOTHING;
                IF NOT FOUND THEN
                    -- another writer created it; its commit was awaited, so deciding again finds its row
                    IF attempts >= 3 THEN
                        RAISE EXCEPTION 'thread %/%/% keeps being created concurrently', p_tenant[i], p_thread[i], p_ns[i];
                    END IF;
                    CONTINUE;
                END IF;
            ELSIF NOT alive THEN
                DELETE FROM ${schema}.events e
                 WHERE e.tenant = p_tenant[i] AND e.thread_id = p_thread[i] AND e.ns = p_ns[i];
                UPDATE ${schema}.threads th
                   SET head = n, generation = p_generation[i], created_at = p_now[i], updated_at = p_now[i],
                       expires_at = CASE WHEN new_ttl > 0 THEN p_now[i] + new_ttl END, ttl_ms = new_ttl, metadata = meta
                 WHERE th.tenant = p_tenant[i] AND th.thread_id = p_thread[i] AND th.ns = p_ns[i];
            ELSE
                UPDATE ${schema}.threads th
                   SET head = cur + n, updated_at = p_now[i],
                       expires_at = CASE WHEN new_ttl > 0 THEN p_now[i] + new_ttl END, ttl_ms = new_ttl
                 WHERE th.tenant = p_tenant[i] AND th.thread_id = p_thread[i] AND th.ns = p_ns[i];
            END IF;

            INSERT INTO ${schema}.events (tenant, thread_id, ns, version, event_id, type, ts, data)
            SELECT p_tenant[i], p_thread[i], p_ns[i], cur + (k - ev0), p_ids[k], p_types[k], p_ts[k],
                   substring(p_data FROM p_offsets[k] + 1 FOR p_lens[k])
              FROM generate_series(ev0 + 1, ev0 + n) AS k;
            PERFORM pg_notify(${channel}, concat_ws('/', p_tenant[i], p_thread[i], p_ns[i], cur + n));
            r_status := 0; r_first := cur + 1; r_last := cur + n;
            wrote := true;
            EXIT;
        END LOOP;
        RETURN NEXT;
        ev0 := ev0 + n;
        meta0 := meta0 + p_meta_count[i];
    END LOOP;
    IF NOT wrote THEN
        -- only row locks to release: nothing to lose in a crash, so the commit need not wait for the WAL flush
        PERFORM set_config('synchronous_commit', 'off', true);
    END IF;
END
$fn$;

-- Deletes a thread's events and record; true when it existed and had not expired (then head 0 is published).
CREATE FUNCTION ${schema}.delete_thread(p_tenant text, p_thread text, p_ns text, p_now bigint)
RETURNS boolean
LANGUAGE plpgsql AS $fn$
DECLARE
    expires bigint;
BEGIN
    SELECT th.expires_at INTO expires
      FROM ${schema}.threads th
     WHERE th.tenant = p_tenant AND th.thread_id = p_thread AND th.ns = p_ns
       FOR UPDATE;
    IF NOT FOUND THEN
        RETURN false;
    END IF;
    DELETE FROM ${schema}.events e WHERE e.tenant = p_tenant AND e.thread_id = p_thread AND e.ns = p_ns;
    DELETE FROM ${schema}.threads th WHERE th.tenant = p_tenant AND th.thread_id = p_thread AND th.ns = p_ns;
    IF expires IS NULL OR expires > p_now THEN
        PERFORM pg_notify(${channel}, concat_ws('/', p_tenant, p_thread, p_ns, 0));
        RETURN true;
    END IF;
    RETURN false;
END
$fn$;

-- Removes up to p_limit threads that expired at or before p_now, with their events and checkpoints; returns how many.
-- Rows another transaction holds are skipped: that one is appending, which refreshes or restarts the thread anyway.
CREATE FUNCTION ${schema}.sweep_expired(p_now bigint, p_limit int)
RETURNS int
LANGUAGE plpgsql AS $fn$
DECLARE
    v_tenants text[];
    v_threads text[];
    v_nss     text[];
BEGIN
    SELECT array_agg(x.tenant), array_agg(x.thread_id), array_agg(x.ns) INTO v_tenants, v_threads, v_nss
      FROM (SELECT th.tenant, th.thread_id, th.ns
              FROM ${schema}.threads th
             WHERE th.expires_at <= p_now
             ORDER BY th.expires_at
             LIMIT p_limit
               FOR UPDATE SKIP LOCKED) x;
    IF v_tenants IS NULL THEN
        RETURN 0;
    END IF;
    DELETE FROM ${schema}.events e USING unnest(v_tenants, v_threads, v_nss) AS g(tenant, thread_id, ns)
     WHERE e.tenant = g.tenant AND e.thread_id = g.thread_id AND e.ns = g.ns;
    DELETE FROM ${schema}.checkpoints c USING unnest(v_tenants, v_threads, v_nss) AS g(tenant, thread_id, ns)
     WHERE c.tenant = g.tenant AND c.thread_id = g.thread_id AND c.ns = g.ns;
    DELETE FROM ${schema}.threads th USING unnest(v_tenants, v_threads, v_nss) AS g(tenant, thread_id, ns)
     WHERE th.tenant = g.tenant AND th.thread_id = g.thread_id AND th.ns = g.ns;
    RETURN array_length(v_tenants, 1);
END
$fn$;
