package dev.engram.backend.postgres;

import dev.engram.core.BackendUnavailableException;
import dev.engram.core.InvalidInputException;
import dev.engram.core.VersionConflictException;
import dev.engram.core.model.ThreadKey;
import dev.engram.core.spi.EventRecord;
import dev.engram.core.spi.LogAppend;
import dev.engram.core.spi.LogAppended;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Queue;
import java.util.UUID;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.MonoSink;
import reactor.core.publisher.Sinks;

/**
 * Group commit for appends. An append is sent at once while fewer than {@code maxInFlight} calls are running; otherwise
 * it waits, and the next call to start takes every waiting append (up to the batch limits) into one
 * {@code append_batch} call: one round trip, one transaction, one commit for all of them. Under light load that is a
 * batch of one with no added latency; under heavy load the batches grow instead of the queue of round trips.
 *
 * <p>Each append keeps its own outcome: the function decides each one under the rules of LogAppend and a refused one
 * writes nothing. A call that fails as a whole writes nothing for any of its appends; if the failure may belong to one
 * of them (a duplicate key, a data error), each is tried again alone so that only the culprit gets the error.
 */
final class PostgresAppendBatcher {

    private static final long MAX_BATCH_BYTES = 8L << 20;
    private static final Comparator<Pending> LOCK_ORDER = Comparator
            .comparing((Pending p) -> p.append.key().tenant())
            .thenComparing(p -> p.append.key().threadId())
            .thenComparing(p -> p.append.key().namespace());

    private final PostgresClient client;
    private final Function<ThreadKey, Mono<Long>> head;
    private final String sql;
    private final int maxAppends;
    private final int maxInFlight;
    private final Queue<Pending> queue = new ConcurrentLinkedQueue<>();
    private final AtomicInteger wip = new AtomicInteger();
    private final AtomicInteger inFlight = new AtomicInteger();
    private final Sinks.Empty<Void> drained = Sinks.empty();
    private volatile boolean closed;

    /** An append waiting for its call, with the generation its thread gets if this append creates it. */
    private record Pending(LogAppend append, MonoSink<LogAppended> sink, long bytes, long generation) {
    }

    PostgresAppendBatcher(PostgresClient client, Function<ThreadKey, Mono<Long>> head) {
        this.client = client;
        this.head = head;
        this.maxAppends = client.settings().appendBatchSize();
        // a quarter of the pool: group commits grow under load, and reads still find connections
        this.maxInFlight = Math.max(2, client.settings().poolMaxSize() / 4);
        this.sql = sql(client.settings().quotedSchema());
    }

    /** The call of {@code append_batch} in {@code quotedSchema}; its parameters are {@link #params}'s. */
    static String sql(String quotedSchema) {
        return "SELECT r_idx, r_status, r_first, r_last, r_head, r_detail FROM " + quotedSchema
                + ".append_batch($1::text[], $2::text[], $3::text[], $4::bigint[], $5::bigint[], $6::bigint[], $7::bigint[],"
                + " $8::int[], $9::text[], $10::text[], $11::int[], $12::uuid[], $13::text[], $14::bigint[], $15::int[],"
                + " $16::int[], $17::bytea)";
    }

    Mono<LogAppended> submit(LogAppend append) {
        return Mono.create(sink -> {
            if (closed) {
                sink.error(new BackendUnavailableException("the postgres backend is closed"));
                return;
            }
            long bytes = 0;
            for (EventRecord e : append.events()) {
                bytes += e.data().length;
            }
            queue.add(new Pending(append, sink, bytes, ThreadLocalRandom.current().nextLong() | 1));
            drain();
        });
    }

    /** Stops taking appends; completes when the ones already taken are answered. */
    Mono<Void> close() {
        closed = true;
        drain();
        return drained.asMono();
    }

    private void drain() {
        if (wip.getAndIncrement() != 0) {
            return;
        }
        int missed = 1;
        do {
            while (inFlight.get() < maxInFlight && !queue.isEmpty()) {
                List<Pending> batch = take();
                inFlight.incrementAndGet();
                run(batch).doFinally(signal -> {
                    inFlight.decrementAndGet();
                    drain();
                }).subscribe();
            }
            if (closed && queue.isEmpty() && inFlight.get() == 0) {
                drained.tryEmitEmpty();
            }
            missed = wip.addAndGet(-missed);
        } while (missed != 0);
    }

    private List<Pending> take() {
        List<Pending> batch = new ArrayList<>();
        long bytes = 0;
        Pending next;
        while (batch.size() < maxAppends && (next = queue.peek()) != null && (batch.isEmpty() || bytes + next.bytes <= MAX_BATCH_BYTES)) {
            batch.add(queue.poll());
            bytes += next.bytes;
        }
        // every writer locks thread rows in the same order, so two concurrent batches never wait on each other in a cycle
        batch.sort(LOCK_ORDER);
        return batch;
    }

    private Mono<Void> run(List<Pending> batch) {
        return Mono.defer(() -> client.rows(sql, row -> new Outcome(row.get(0, Integer.class), row.get(1, Integer.class),
                        row.get(2, Long.class), row.get(3, Long.class), row.get(4, Long.class), row.get(5, String.class)),
                        params(batch.stream().map(Pending::append).toList(), batch.stream().mapToLong(Pending::generation).toArray())))
                .doOnNext(outcomes -> {
                    Outcome[] byIndex = new Outcome[batch.size()];
                    for (Outcome o : outcomes) {
                        byIndex[o.index - 1] = o;
                    }
                    for (int i = 0; i < byIndex.length; i++) {
                        answer(batch.get(i), byIndex[i]);
                    }
                })
                .then()
                .onErrorResume(error -> {
                    if (batch.size() > 1 && PostgresErrors.mayBelongToOneStatementInput(error)) {
                        return Flux.fromIterable(batch).concatMap(p -> run(List.of(p))).then();
                    }
                    Pending only = batch.get(0);
                    if (batch.size() == 1 && PostgresErrors.isDuplicateKey(error)) {
                        // another writer took the version first: nothing of this append was written
                        return head.apply(only.append.key())
                                .doOnNext(actual -> only.sink.error(new VersionConflictException(only.append.key(), only.append.expected(), actual)))
                                .doOnError(e -> only.sink.error(PostgresErrors.translate(e, "reading the head of " + only.append.key())))
                                .onErrorResume(e -> Mono.empty())
                                .then();
                    }
                    for (Pending p : batch) {
                        p.sink.error(PostgresErrors.translate(error, "appending to " + p.append.key()));
                    }
                    return Mono.empty();
                });
    }

    private record Outcome(int index, int status, long first, long last, long head, @Nullable String detail) {
    }

    private static void answer(Pending p, @Nullable Outcome o) {
        ThreadKey key = p.append.key();
        if (o == null) {
            p.sink.error(new BackendUnavailableException("append_batch did not answer for " + key));
            return;
        }
        switch (o.status) {
            // version 1 is written only by the append that creates the thread, with the generation it was given
            case 0 -> p.sink.success(new LogAppended(o.first, o.last, false, o.first == 1 ? p.generation : 0));
            case 1 -> p.sink.success(new LogAppended(o.first, o.last, true));
            case 2 -> p.sink.error(new VersionConflictException(key, p.append.expected(), o.head));
            case 3 -> p.sink.error(new InvalidInputException("event " + o.detail + " was already appended to " + key
                    + " with a different payload"));
            case 4 -> p.sink.error(new InvalidInputException("append to " + key + " mixes " + o.detail
                    + " already appended events with " + (p.append.events().size() - Long.parseLong(String.valueOf(o.detail))) + " new ones"));
            case 5 -> p.sink.error(new InvalidInputException("the events of this retry were appended to " + key
                    + " in different batches"));
            default -> p.sink.error(new BackendUnavailableException("append_batch answered an unknown status " + o.status));
        }
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
