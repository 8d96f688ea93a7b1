-- The functions again, with the same signatures and outcomes, so that no statement in them can scan a whole table.
--
-- A function's statements are prepared once per connection, and after a few calls PostgreSQL keeps a generic plan
-- made with the statistics of that moment: on a new schema the tables are empty (never analyzed, or analyzed with a
-- handful of rows), a sequential scan looks cheapest, and that plan stays while the table grows until the next
-- ANALYZE of it. So:
--   * the functions run with enable_seqscan off, so the planner takes an index at any table size;
--   * every statement reads or deletes rows by a key, one row or one key range at a time: no join, whose plan could
--     read a whole table or index;
--   * and the key picks the index. A thread's events are deleted as the range of versions up to its head, which only
--     the primary key can bound: with the thread's columns alone the event-id index (which holds them after the id)
--     is a candidate too, read from end to end, and on a small table the two cost the same. The event-id lookup
--     filters by the id alone first, which only the event-id index can serve.
-- Idempotent: CREATE OR REPLACE over what V2 (or an earlier run of this script) made.

-- Appends several threads' batches in one transaction, each under the rules of LogAppend, in array order (the caller
-- sorts by key, so concurrent calls lock rows in one order and never deadlock). A refused append writes nothing and
-- returns its status: 0 appended, 1 deduplicated, 2 version conflict (r_head), 3 an id stored with other bytes
-- (r_detail = the id), 4 some ids stored and some not (r_detail = how many), 5 the ids were stored by different appends.
--
-- The common case looks no event id up: with the thread's row locked and the expectation met, the events are
-- inserted with ON CONFLICT DO NOTHING on the event-id key, and all of them going in proves that none was stored.
-- Otherwise (a retry) the rows that did go in are deleted again and the ids are looked up, one key probe each. When
-- the expectation is not met the ids are looked up first, since a retry of an append that landed is deduplicated,
-- not refused.
CREATE OR REPLACE FUNCTION ${schema}.append_batch(
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
LANGUAGE plpgsql
SET enable_seqscan = off
AS $fn$
DECLARE
    ev0       int := 0;
    meta0     int := 0;
    n         int;
    attempts  int;
    v_tenant  text;
    v_thread  text;
    v_ns      text;
    row_found boolean;
    t         record;
    alive     boolean;
    cur       bigint;
    inserted  bigint;
    found_n   int;
    stored_v  bigint;
    same      boolean;
    lo_v      bigint;
    hi_v      bigint;
    in_order  boolean;
    new_ttl   bigint;
    meta      jsonb;
    wrote     boolean := false;
BEGIN
    FOR i IN 1 .. coalesce(array_length(p_tenant, 1), 0) LOOP
        n := p_ev_count[i];
        v_tenant := p_tenant[i]; v_thread := p_thread[i]; v_ns := p_ns[i];
        attempts := 0;
        r_idx := i; r_status := NULL; r_first := 0; r_last := 0; r_head := 0; r_detail := NULL;
        <<decide>>
        LOOP
            attempts := attempts + 1;
            SELECT th.head, th.expires_at, th.ttl_ms INTO t
              FROM ${schema}.threads th
             WHERE th.tenant = v_tenant AND th.thread_id = v_thread AND th.ns = v_ns
               FOR UPDATE;
            row_found := FOUND;
            alive := row_found AND (t.expires_at IS NULL OR t.expires_at > p_now[i]);
            cur := CASE WHEN alive THEN t.head ELSE 0 END;
            new_ttl := CASE WHEN p_ttl[i] >= 0 THEN p_ttl[i] WHEN alive THEN t.ttl_ms ELSE 0 END;

            IF cur > 0 THEN
                IF p_expected[i] < 0 OR p_expected[i] = cur THEN
                    INSERT INTO ${schema}.events (tenant, thread_id, ns, version, event_id, type, ts, data)
                    SELECT v_tenant, v_thread, v_ns, cur + (k - ev0), p_ids[k], p_types[k], p_ts[k],
                           substring(p_data FROM p_offsets[k] + 1 FOR p_lens[k])
                      FROM generate_series(ev0 + 1, ev0 + n) AS k
                        ON CONFLICT (event_id, tenant, thread_id, ns) DO NOTHING;
                    GET DIAGNOSTICS inserted = ROW_COUNT;
                    IF inserted = n THEN
                        UPDATE ${schema}.threads th
                           SET head = cur + n, updated_at = p_now[i],
                               expires_at = CASE WHEN new_ttl > 0 THEN p_now[i] + new_ttl END, ttl_ms = new_ttl
                         WHERE th.tenant = v_tenant AND th.thread_id = v_thread AND th.ns = v_ns;
                        EXIT decide;
                    END IF;
                    -- some ids are stored already: take back the rows that went in (this call holds the thread's
                    -- lock, so every row above the head is one of them), then decide below
                    DELETE FROM ${schema}.events e
                     WHERE e.tenant = v_tenant AND e.thread_id = v_thread AND e.ns = v_ns
                       AND e.version > cur AND e.version <= cur + n;
                END IF;

                -- the rules of LogAppend, in their order, with one probe of the event-id key per event. The id alone
                -- picks the rows (the fence keeps the thread's columns out of the choice of index): a plan kept from
                -- when the thread had a few events could otherwise read the thread's whole primary-key range per id.
                found_n := 0; in_order := true;
                FOR k IN ev0 + 1 .. ev0 + n LOOP
                    SELECT x.version, x.data = substring(p_data FROM p_offsets[k] + 1 FOR p_lens[k])
                      INTO stored_v, same
                      FROM (SELECT e.tenant, e.thread_id, e.ns, e.version, e.data
                              FROM ${schema}.events e
                             WHERE e.event_id = p_ids[k]
                            OFFSET 0) x
                     WHERE x.tenant = v_tenant AND x.thread_id = v_thread AND x.ns = v_ns;
                    CONTINUE WHEN NOT FOUND;
                    IF NOT same THEN
                        r_status := 3; r_detail := p_ids[k]::text;
                        EXIT decide;
                    END IF;
                    IF found_n = 0 THEN
                        lo_v := stored_v;
                    ELSIF stored_v <> hi_v + 1 THEN
                        in_order := false;
                    END IF;
                    hi_v := stored_v;
                    found_n := found_n + 1;
                END LOOP;
                IF found_n = n THEN
                    IF in_order THEN
                        r_status := 1; r_first := lo_v; r_last := hi_v;
                    ELSE
                        r_status := 5;
                    END IF;
                ELSIF found_n > 0 THEN
                    r_status := 4; r_detail := found_n::text;
                ELSIF p_expected[i] >= 0 AND p_expected[i] <> cur THEN
                    r_status := 2; r_head := cur;
                ELSE
                    -- the insert met an id that no probe finds: the same id twice in this append
                    RAISE unique_violation USING MESSAGE = format('an event id appears twice in one append to %s/%s/%s',
                                                                  v_tenant, v_thread, v_ns);
                END IF;
                EXIT decide;
            END IF;

            -- an absent, expired or empty thread stores none of these ids
            IF p_expected[i] >= 0 AND p_expected[i] <> cur THEN
                r_status := 2; r_head := cur;
                EXIT decide;
            END IF;
            IF NOT alive THEN
                meta := jsonb_object(coalesce(p_meta_keys[meta0 + 1 : meta0 + p_meta_count[i]], '{}'),
                                     coalesce(p_meta_vals[meta0 + 1 : meta0 + p_meta_count[i]], '{}'));
            END IF;
            IF NOT row_found THEN
                INSERT INTO ${schema}.threads AS th
                       (tenant, thread_id, ns, head, generation, created_at, updated_at, expires_at, ttl_ms, metadata)
                VALUES (v_tenant, v_thread, v_ns, n, p_generation[i], p_now[i], p_now[i],
                        CASE WHEN new_ttl > 0 THEN p_now[i] + new_ttl END, new_ttl, meta)
                ON CONFLICT DO NOTHING;
                IF NOT FOUND THEN
                    -- another writer created it; its commit was awaited, so deciding again finds its row
                    IF attempts >= 3 THEN
                        RAISE EXCEPTION 'thread %/%/% keeps being created concurrently', v_tenant, v_thread, v_ns;
                    END IF;
                    CONTINUE decide;
                END IF;
            ELSIF NOT alive THEN
                DELETE FROM ${schema}.events e
                 WHERE e.tenant = v_tenant AND e.thread_id = v_thread AND e.ns = v_ns AND e.version <= t.head;
                UPDATE ${schema}.threads th
                   SET head = n, generation = p_generation[i], created_at = p_now[i], updated_at = p_now[i],
                       expires_at = CASE WHEN new_ttl > 0 THEN p_now[i] + new_ttl END, ttl_ms = new_ttl, metadata = meta
                 WHERE th.tenant = v_tenant AND th.thread_id = v_thread AND th.ns = v_ns;
            ELSE
                UPDATE ${schema}.threads th
                   SET head = cur + n, updated_at = p_now[i],
                       expires_at = CASE WHEN new_ttl > 0 THEN p_now[i] + new_ttl END, ttl_ms = new_ttl
                 WHERE th.tenant = v_tenant AND th.thread_id = v_thread AND th.ns = v_ns;
            END IF;
            INSERT INTO ${schema}.events (tenant, thread_id, ns, version, event_id, type, ts, data)
            SELECT v_tenant, v_thread, v_ns, cur + (k - ev0), p_ids[k], p_types[k], p_ts[k],
                   substring(p_data FROM p_offsets[k] + 1 FOR p_lens[k])
              FROM generate_series(ev0 + 1, ev0 + n) AS k;
            EXIT decide;
        END LOOP;

        IF r_status IS NULL THEN
            PERFORM pg_notify(${channel}, concat_ws('/', v_tenant, v_thread, v_ns, cur + n));
            r_status := 0; r_first := cur + 1; r_last := cur + n;
            wrote := true;
        END IF;
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
CREATE OR REPLACE FUNCTION ${schema}.delete_thread(p_tenant text, p_thread text, p_ns text, p_now bigint)
RETURNS boolean
LANGUAGE plpgsql
SET enable_seqscan = off
AS $fn$
DECLARE
    expires bigint;
    v_head  bigint;
BEGIN
    SELECT th.expires_at, th.head INTO expires, v_head
      FROM ${schema}.threads th
     WHERE th.tenant = p_tenant AND th.thread_id = p_thread AND th.ns = p_ns
       FOR UPDATE;
    IF NOT FOUND THEN
        RETURN false;
    END IF;
    DELETE FROM ${schema}.events e WHERE e.tenant = p_tenant AND e.thread_id = p_thread AND e.ns = p_ns AND e.version <= v_head;
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
-- One thread at a time, by its key: a set-based delete (a join with the list of threads) could keep a plan made on
-- small tables that reads all of them.
CREATE OR REPLACE FUNCTION ${schema}.sweep_expired(p_now bigint, p_limit int)
RETURNS int
LANGUAGE plpgsql
SET enable_seqscan = off
AS $fn$
DECLARE
    x     record;
    swept int := 0;
BEGIN
    FOR x IN SELECT th.tenant, th.thread_id, th.ns, th.head
               FROM ${schema}.threads th
              WHERE th.expires_at <= p_now
              ORDER BY th.expires_at
              LIMIT p_limit
                FOR UPDATE SKIP LOCKED LOOP
        DELETE FROM ${schema}.events e
         WHERE e.tenant = x.tenant AND e.thread_id = x.thread_id AND e.ns = x.ns AND e.version <= x.head;
        DELETE FROM ${schema}.checkpoints c WHERE c.tenant = x.tenant AND c.thread_id = x.thread_id AND c.ns = x.ns;
        DELETE FROM ${schema}.threads th WHERE th.tenant = x.tenant AND th.thread_id = x.thread_id AND th.ns = x.ns;
        swept := swept + 1;
    END LOOP;
    RETURN swept;
END
$fn$;

-- Removes up to p_limit memory items that expired at or before p_now; returns how many. Rows a put holds are skipped:
-- that put is refreshing them. One item at a time by its key, like sweep_expired.
CREATE OR REPLACE FUNCTION ${schema}.sweep_memories(p_now bigint, p_limit int)
RETURNS int
LANGUAGE plpgsql
SET enable_seqscan = off
AS $fn$
DECLARE
    x     record;
    swept int := 0;
BEGIN
    FOR x IN SELECT m.tenant, m.ns_path, m.key
               FROM ${schema}.memories m
              WHERE m.expires_at <= p_now
              ORDER BY m.expires_at
              LIMIT p_limit
                FOR UPDATE SKIP LOCKED LOOP
        DELETE FROM ${schema}.memories m WHERE m.tenant = x.tenant AND m.ns_path = x.ns_path AND m.key = x.key;
        swept := swept + 1;
    END LOOP;
    RETURN swept;
END
$fn$;
