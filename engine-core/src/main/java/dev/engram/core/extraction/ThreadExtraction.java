package dev.engram.core.extraction;

import dev.engram.core.EngramException;
import dev.engram.core.ModelUnavailableException;
import dev.engram.core.NotFoundException;
import dev.engram.core.codec.Codec;
import dev.engram.core.config.ExtractionSettings;
import dev.engram.core.memory.ExtractionRequest;
import dev.engram.core.memory.FactDecision;
import dev.engram.core.memory.FactExtractor;
import dev.engram.core.memory.MemoryHit;
import dev.engram.core.memory.MemoryItem;
import dev.engram.core.memory.MemoryKey;
import dev.engram.core.memory.MemorySearch;
import dev.engram.core.memory.MemoryStore;
import dev.engram.core.memory.Namespace;
import dev.engram.core.memory.Provenance;
import dev.engram.core.model.Change;
import dev.engram.core.model.Message;
import dev.engram.core.model.ThreadKey;
import dev.engram.core.spi.EventLog;
import dev.engram.core.spi.EventRecord;
import dev.engram.core.spi.MemoryStorage;
import dev.engram.core.spi.ThreadRecord;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Mono;
import reactor.util.retry.Retry;

/**
 * The extraction of one thread: its turns after the mark, batch by batch — known facts, the extractor's call,
 * the decisions applied, then the mark moved — each step retried on transient failures.
 */
final class ThreadExtraction {

    private static final Logger log = LoggerFactory.getLogger(ThreadExtraction.class);
    /** Known facts sent with each call, at most (further capped by {@code memory.maxMemories}). */
    static final int KNOWN_FACTS = 50;
    /** The longest text used to find the known facts relevant to a batch. */
    private static final int MAX_QUERY_CHARS = 2000;

    private final ExtractionSettings settings;
    private final FactExtractor extractor;
    private final MemoryStore store;
    private final MemoryStorage storage;
    private final EventLog events;
    private final Clock clock;
    private final HighWaterMarks marks;
    final FactWriter writer;
    private final Codec codec = Codec.standard();
    private final int knownFacts;
    final LongAdder calls = new LongAdder();
    final LongAdder extractedTurns = new LongAdder();
    final LongAdder retries = new LongAdder();

    ThreadExtraction(ExtractionSettings settings, FactExtractor extractor, MemoryStore store, MemoryStorage storage, EventLog events,
                     Clock clock, int maxMemories) {
        this.settings = settings;
        this.extractor = extractor;
        this.store = store;
        this.storage = storage;
        this.events = events;
        this.clock = clock;
        this.marks = new HighWaterMarks(storage, clock);
        this.writer = new FactWriter(store);
        this.knownFacts = Math.max(1, Math.min(KNOWN_FACTS, maxMemories));
    }

    /** What one run knows of its thread. */
    private record Target(ThreadKey key, String user, Namespace namespace, long head, long generation, @Nullable Instant expiresAt) {
    }

    /** The thread's record (head, generation, metadata); errors with {@link NotFoundException} when it does not exist. */
    Mono<ThreadRecord> find(ThreadKey key) {
        return events.find(key).switchIfEmpty(Mono.error(() -> new NotFoundException("thread " + key + " does not exist")));
    }

    /** Extracts the thread up to {@code record}'s head; with {@code reset}, first forgets its facts and its mark. */
    Mono<Void> extract(ThreadKey key, ThreadRecord record, String user, boolean reset) {
        Target t = new Target(key, user, Namespace.of(user, settings.namespace()), record.version(), record.generation(),
                record.expiresAtMillis() == 0 ? null : Instant.ofEpochMilli(record.expiresAtMillis()));
        Mono<Void> prepare = reset ? forget(t).then(marks.clear(key)) : Mono.empty();
        return prepare.then(marks.read(key, t.generation)).flatMap(mark -> from(t, mark));
    }

    /** Deletes the facts of the thread's user whose provenance is this thread. */
    private Mono<Void> forget(Target t) {
        return storage.scan(t.key.tenant(), t.namespace, clock.instant())
                .filter(r -> r.key().namespace().equals(t.namespace) && MemoryItem.FACT.equals(r.item().kind())
                        && r.item().provenance() != null && r.item().provenance().thread().equals(t.key))
                .concatMap(r -> store.delete(r.key()).doOnNext(existed -> {
                    if (existed) {
                        writer.deleted.increment();
                    }
                }))
                .then();
    }

    /** Extracts the batches after {@code mark} up to the head the run started with; later appends run it again. */
    private Mono<Void> from(Target t, long mark) {
        if (mark >= t.head) {
            return Mono.empty();
        }
        return nextBatch(t, mark).flatMap(batch -> {
            if (batch.end <= mark) {
                return Mono.empty();
            }
            Mono<Void> work = batch.turns.isEmpty() ? Mono.empty() : extractBatch(t, batch);
            return work.then(marks.write(t.key, batch.end, t.generation, t.expiresAt))
                    .doOnSuccess(x -> extractedTurns.add(batch.turns.size()))
                    .then(Mono.defer(() -> from(t, batch.end)));
        });
    }

    /** Turns after {@code mark}, at most {@code maxTurnsPerCall}, and the version the mark moves to once they are done. */
    private record Batch(List<ExtractionRequest.Turn> turns, long end) {
    }

    private Mono<Batch> nextBatch(Target t, long mark) {
        int max = settings.maxTurnsPerCall();
        int page = Math.min(1000, Math.max(64, 2 * max));
        return events.read(t.key, mark + 1, t.head, page).collectList().map(records -> {
            List<ExtractionRequest.Turn> turns = new ArrayList<>();
            long end = mark;
            if (!records.isEmpty() && records.get(0).version() > mark + 1) {
                log.warn("events {}..{} of {} were removed (retention) before their facts were extracted", mark + 1,
                        records.get(0).version() - 1, t.key);
            }
            for (EventRecord r : records) {
                if (turns.size() == max) {
                    break;
                }
                end = r.version();
                if (Change.MessageAppended.TYPE.equals(r.type())
                        && codec.decodeEvent(r.data()).change() instanceof Change.MessageAppended m) {
                    Message msg = m.message();
                    if (!msg.content().isBlank()) {
                        turns.add(new ExtractionRequest.Turn(r.version(), msg.role(), msg.content()));
                    }
                }
            }
            return new Batch(List.copyOf(turns), end);
        });
    }

    private Mono<Void> extractBatch(Target t, Batch batch) {
        List<ExtractionRequest.Turn> turns = batch.turns;
        Provenance provenance = new Provenance(t.key, turns.get(0).version(), turns.get(turns.size() - 1).version(),
                extractor.name(), extractor.model());
        Mono<List<FactDecision>> call = Mono.defer(() -> known(t, turns)
                        .flatMap(known -> extractor.extract(new ExtractionRequest(t.key, t.user, t.namespace, turns, known))))
                .defaultIfEmpty(List.of())
                .retryWhen(retry("extraction call for " + t.key));
        return call.flatMap(decisions -> {
            calls.increment();
            return Mono.defer(() -> writer.apply(decisions, t.key.tenant(), t.namespace, provenance))
                    .retryWhen(retry("applying facts from " + t.key));
        });
    }

    /**
     * The user's facts most relevant to the turns (ranked by the turns' text), topped up with the newest ones when the
     * ranking finds fewer: the extractor should see a fact it may need to update even when the words differ.
     */
    private Mono<List<MemoryItem>> known(Target t, List<ExtractionRequest.Turn> turns) {
        MemorySearch all = new MemorySearch(t.key.tenant(), t.namespace, null, Map.of(), MemoryItem.FACT, knownFacts, 0);
        String query = queryText(turns);
        Mono<List<MemoryHit>> ranked = query.isBlank() ? Mono.just(List.of()) : store.search(all.query(query));
        return ranked.flatMap(hits -> {
            Map<MemoryKey, MemoryItem> found = new LinkedHashMap<>();
            hits.forEach(h -> found.put(h.item().key(), h.item()));
            if (found.size() >= knownFacts) {
                return Mono.just(List.copyOf(found.values()));
            }
            return store.search(all).map(newest -> {
                for (MemoryHit h : newest) {
                    if (found.size() >= knownFacts) {
                        break;
                    }
                    found.putIfAbsent(h.item().key(), h.item());
                }
                return List.copyOf(found.values());
            });
        });
    }

    /** The user's words first (facts are about the user), then the rest, cut to a search-sized text. */
    private static String queryText(List<ExtractionRequest.Turn> turns) {
        StringBuilder sb = new StringBuilder();
        for (boolean userTurns : new boolean[] {true, false}) {
            for (ExtractionRequest.Turn turn : turns) {
                if ("user".equals(turn.role()) == userTurns && sb.length() < MAX_QUERY_CHARS) {
                    sb.append(turn.content()).append('\n');
                }
            }
        }
        return sb.length() > MAX_QUERY_CHARS ? sb.substring(0, MAX_QUERY_CHARS) : sb.toString();
    }

    /** Transient failures only, {@code maxAttempts} in all, waiting the backoff or the API's Retry-After (up to maxBackoff). */
    private Retry retry(String what) {
        return Retry.from(signals -> signals.concatMap(signal -> {
            Throwable e = signal.failure();
            long attempt = signal.totalRetries() + 1;
            if (!isTransient(e) || attempt >= settings.maxAttempts()) {
                return Mono.error(e);
            }
            Duration wait = backoff(settings, (int) attempt);
            Duration asked = e instanceof ModelUnavailableException m ? m.retryAfter() : null;
            if (asked != null && asked.compareTo(wait) > 0) {
                wait = asked.compareTo(settings.maxBackoff()) > 0 ? settings.maxBackoff() : asked;
            }
            retries.increment();
            log.debug("{} failed (attempt {} of {}), retrying in {} ms: {}", what, attempt, settings.maxAttempts(), wait.toMillis(), e.getMessage());
            return Mono.delay(wait);
        }));
    }

    /** The delay before retry number {@code attempt} (1-based): {@code initialBackoff} doubled per attempt, at most {@code maxBackoff}. */
    static Duration backoff(ExtractionSettings settings, int attempt) {
        Duration d = settings.initialBackoff();
        for (int i = 1; i < attempt && d.compareTo(settings.maxBackoff()) < 0; i++) {
            d = d.multipliedBy(2);
        }
        return d.compareTo(settings.maxBackoff()) > 0 ? settings.maxBackoff() : d;
    }

    static boolean isTransient(Throwable e) {
        return e instanceof EngramException ee && ee.isTransient();
    }
}
