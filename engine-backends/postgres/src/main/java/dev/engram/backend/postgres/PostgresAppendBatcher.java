package dev.engram.backend.postgres;

import dev.engram.core.BackendUnavailableException;
import dev.engram.core.InvalidInputException;
import dev.engram.core.VersionConflictException;
import dev.engram.core.model.ThreadKey;
import dev.engram.core.spi.EventRecord;
import dev.engram.core.spi.LogAppend;
import dev.engram.core.spi.LogAppended;
import dev.engram.core.spi.support.GroupCommit;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Appends as {@code append_batch} calls, grouped by {@link GroupCommit}: an append is sent at once while fewer than
 * {@code maxInFlight} calls are running; otherwise it waits, and the next call takes every waiting append (up to the
 * batch limits): one round trip, one transaction, one commit for all of them. Under light load that is a batch of
 * one with no added latency; under heavy load the batches grow instead of the queue of round trips.
 *
 * <p>Each append keeps its own outcome: the function decides each one under the rules of LogAppend and a refused one
 * writes nothing. A call that fails as a whole writes nothing for any of its appends; if the failure may belong to one
 * of them (a duplicate key, a data error), each is tried again alone so that only the culprit gets the error.
 */
final class PostgresAppendBatcher {

    private static final long MAX_BATCH_BYTES = 8L << 20;
    private static final Comparator<ThreadKey> LOCK_ORDER = Comparator
            .comparing(ThreadKey::tenant)
            .thenComparing(ThreadKey::threadId)
            .thenComparing(ThreadKey::namespace);

    private final PostgresClient client;
    private final Function<ThreadKey, Mono<Long>> head;
    private final String sql;
    private final GroupCommit<Prepared, LogAppended> groupCommit;

    /** An append with the generation its thread gets if this append creates it. */
    private record Prepared(LogAppend append, long generation) {
    }

    PostgresAppendBatcher(PostgresClient client, Function<ThreadKey, Mono<Long>> head) {
        this.client = client;
        this.head = head;
        this.sql = sql(client.settings().quotedSchema());
        // a quarter of the pool: group commits grow under load, and reads still find connections
        int maxInFlight = Math.max(2, client.settings().poolMaxSize() / 4);
        this.groupCommit = new GroupCommit<>("postgres", client.settings().appendBatchSize(), MAX_BATCH_BYTES, maxInFlight, this::write);
    }

    /** The call of {@code append_batch} in {@code quotedSchema}; its parameters are {@link #params}'s. */
    static String sql(String quotedSchema) {
        return "SELECT r_idx, r_status, r_first, r_last, r_head, r_detail FROM " + quotedSchema
                + ".append_batch($1::text[], $2::text[], $3::text[], $4::bigint[], $5::bigint[], $6::bigint[], $7::bigint[],"
                + " $8::int[], $9::text[], $10::text[], $11::int[], $12::uuid[], $13::text[], $14::bigint[], $15::int[],"
                + " $16::int[], $17::bytea)";
    }

    Mono<LogAppended> submit(LogAppend append) {
        return groupCommit.submit(new Prepared(append, ThreadLocalRandom.current().nextLong() | 1), GroupCommit.eventBytes(append), append.key());
    }

    /** Stops taking appends; completes when the ones already taken are answered. */
    Mono<Void> close() {
        return groupCommit.close();
    }

    /** One group: its appends in lock order for the call, the outcomes back in the group's order. */
    private Mono<List<Object>> write(List<Prepared> group) {
        // every writer locks thread rows in the same order, so two concurrent calls never wait on each other in a cycle
        Integer[] order = new Integer[group.size()];
        Arrays.setAll(order, i -> i);
        Arrays.sort(order, Comparator.comparing(i -> group.get(i).append().key(), LOCK_ORDER));
        List<Prepared> sorted = new ArrayList<>(group.size());
        for (Integer i : order) {
            sorted.add(group.get(i));
        }
        return call(sorted).map(outcomes -> {
            Object[] inGroupOrder = new Object[group.size()];
            for (int j = 0; j < order.length; j++) {
                inGroupOrder[order[j]] = outcomes.get(j);
            }
            return Arrays.asList(inGroupOrder);
        });
    }

    private Mono<List<Object>> call(List<Prepared> batch) {
        return Mono.defer(() -> client.rows(sql, row -> new Outcome(row.get(0, Integer.class), row.get(1, Integer.class),
                        row.get(2, Long.class), row.get(3, Long.class), row.get(4, Long.class), row.get(5, String.class)),
                        params(batch.stream().map(Prepared::append).toList(), batch.stream().mapToLong(Prepared::generation).toArray())))
                .map(rows -> {
                    Outcome[] byIndex = new Outcome[batch.size()];
                    for (Outcome o : rows) {
                        byIndex[o.index - 1] = o;
                    }
                    List<Object> outcomes = new ArrayList<>(batch.size());
                    for (int i = 0; i < byIndex.length; i++) {
                        outcomes.add(outcome(batch.get(i), byIndex[i]));
                    }
                    return outcomes;
                })
                .onErrorResume(error -> {
                    if (batch.size() > 1 && PostgresErrors.mayBelongToOneStatementInput(error)) {
                        return Flux.fromIterable(batch).concatMap(p -> call(List.of(p))).map(one -> one.get(0)).collectList();
                    }
                    LogAppend only = batch.get(0).append();
                    if (batch.size() == 1 && PostgresErrors.isDuplicateKey(error)) {
                        // another writer took the version first: nothing of this append was written
                        return head.apply(only.key())
                                .<Object>map(actual -> new VersionConflictException(only.key(), only.expected(), actual))
                                .onErrorResume(e -> Mono.just(PostgresErrors.translate(e, "reading the head of " + only.key())))
                                .map(List::of);
                    }
                    List<Object> failed = new ArrayList<>(batch.size());
                    batch.forEach(p -> failed.add(PostgresErrors.translate(error, "appending to " + p.append().key())));
                    return Mono.just(failed);
                });
    }

    private record Outcome(int index, int status, long first, long last, long head, @Nullable String detail) {
    }

    /** One append's answer: a {@link LogAppended}, or the exception for that append alone. */
    private static Object outcome(Prepared p, @Nullable Outcome o) {
        LogAppend append = p.append();
        ThreadKey key = append.key();
        if (o == null) {
            return new BackendUnavailableException("append_batch did not answer for " + key);
        }
        return switch (o.status) {
            // version 1 is written only by the append that creates the thread, with the generation it was given
            case 0 -> new LogAppended(o.first, o.last, false, o.first == 1 ? p.generation() : 0);
            case 1 -> new LogAppended(o.first, o.last, true);
            case 2 -> new VersionConflictException(key, append.expected(), o.head);
            case 3 -> new InvalidInputException("event " + o.detail + " was already appended to " + key + " with a different payload");
            case 4 -> new InvalidInputException("append to " + key + " mixes " + o.detail + " already appended events with "
                    + (append.events().size() - Long.parseLong(String.valueOf(o.detail))) + " new ones");
            case 5 -> new InvalidInputException("the events of this retry were appended to " + key + " in different batches");
            default -> new BackendUnavailableException("append_batch answered an unknown status " + o.status);
        };
    }

    /** The arrays {@code append_batch} takes for {@code batch}, in its order, each append with a fresh generation. */
    static Object[] params(List<LogAppend> batch) {
        return params(batch, ThreadLocalRandom.current().longs(batch.size()).map(g -> g | 1).toArray());
    }

    /** The function's arguments; {@code generations[i]} is what the thread of append i gets if that append creates it. */
    static Object[] params(List<LogAppend> batch, long[] generations) {
        int n = batch.size();
        String[] tenants = new String[n];
        String[] threads = new String[n];
        String[] namespaces = new String[n];
        Long[] expected = new Long[n];
        Long[] now = new Long[n];
        Long[] ttl = new Long[n];
        Long[] generation = new Long[n];
        Integer[] metaCount = new Integer[n];
        Integer[] eventCount = new Integer[n];
        List<String> metaKeys = new ArrayList<>();
        List<String> metaValues = new ArrayList<>();
        List<UUID> ids = new ArrayList<>();
        List<String> types = new ArrayList<>();
        List<Long> timestamps = new ArrayList<>();
        List<Integer> offsets = new ArrayList<>();
        List<Integer> lengths = new ArrayList<>();
        int totalBytes = 0;
        for (LogAppend a : batch) {
            for (EventRecord e : a.events()) {
                totalBytes += e.data().length;
            }
        }
        ByteBuffer data = ByteBuffer.allocate(totalBytes);
        for (int i = 0; i < n; i++) {
            LogAppend a = batch.get(i);
            tenants[i] = a.key().tenant();
            threads[i] = a.key().threadId();
            namespaces[i] = a.key().namespace();
            expected[i] = a.expected().version();
            now[i] = a.nowMillis();
            ttl[i] = a.ttl() == null ? -1L : Math.max(0L, a.ttl().toMillis());
            generation[i] = generations[i];
            metaCount[i] = a.metadata().size();
            a.metadata().forEach((k, v) -> {
                metaKeys.add(k);
                metaValues.add(v);
            });
            eventCount[i] = a.events().size();
            for (EventRecord e : a.events()) {
                ids.add(e.eventId());
                types.add(e.type());
                timestamps.add(e.timestampMillis());
                offsets.add(data.position());
                lengths.add(e.data().length);
                data.put(e.data());
            }
        }
        data.flip();
        return new Object[] {tenants, threads, namespaces, expected, now, ttl, generation, metaCount,
                metaKeys.toArray(String[]::new), metaValues.toArray(String[]::new), eventCount, ids.toArray(UUID[]::new),
                types.toArray(String[]::new), timestamps.toArray(Long[]::new), offsets.toArray(Integer[]::new),
                lengths.toArray(Integer[]::new), data};
    }
}
