package dev.engram.backend.mongodb;

import static com.mongodb.client.model.Filters.in;
import static dev.engram.backend.mongodb.ThreadDocuments.DELETED_UP_TO;
import static dev.engram.backend.mongodb.ThreadDocuments.HEAD;
import static dev.engram.backend.mongodb.ThreadDocuments.ID;
import static dev.engram.backend.mongodb.ThreadDocuments.UPDATED_AT;
import static dev.engram.backend.mongodb.ThreadDocuments.generation;
import static dev.engram.backend.mongodb.ThreadDocuments.longOf;

import com.mongodb.client.model.Projections;
import dev.engram.core.model.ThreadKey;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.bson.Document;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Heads as the commits say. Commits of a generation are contiguous and a record's {@code head} is never ahead of them,
 * so from the record's head (or retention's watermark, if higher) the commit ids {@code …/g/head+1} are followed until
 * none is found. The first step asks for the ids of the next {@value #FIRST_STEP} versions at once (a head that lags by
 * a few single-event appends is found in one step), each further step for twice as many (up to {@value #MAX_STEP}), and
 * many threads are followed together: one query by primary key per step, for every chain that goes on.
 */
final class CommitChains {

    /** The end of a thread's chain: its head, and when the last write to it happened (the record's or the commit's time). */
    record Tip(long head, long updatedAt) {
    }

    /** Versions after the end of a chain whose commit ids the first step asks for, and the most any step asks for. */
    static final int FIRST_STEP = 4;
    static final int MAX_STEP = 64;

    private final MongoStore store;

    CommitChains(MongoStore store) {
        this.store = store;
    }

    /** Where the chain of a record starts, before any commit is followed. */
    static Tip start(Document record) {
        return new Tip(Math.max(longOf(record, HEAD), longOf(record, DELETED_UP_TO)), longOf(record, UPDATED_AT));
    }

    /** The tip of one thread's chain; {@code record} holds at least its generation, head, watermark and time. */
    Mono<Tip> tip(ThreadKey key, Document record) {
        return tips(Map.of(key, record)).map(tips -> tips.get(key));
    }

    /** The tip of each thread's chain, for every key given (records as in {@link #tip}). */
    Mono<Map<ThreadKey, Tip>> tips(Map<ThreadKey, Document> records) {
        Map<ThreadKey, Tip> tips = new HashMap<>();
        records.forEach((key, r) -> tips.put(key, start(r)));
        return follow(records, tips, records.keySet(), FIRST_STEP).thenReturn(tips);
    }

    /** One step for each of {@code going} (their chains may go on after their tips), then the next for those that do. */
    private Mono<Void> follow(Map<ThreadKey, Document> records, Map<ThreadKey, Tip> tips, Collection<ThreadKey> going, int step) {
        if (going.isEmpty()) {
            return Mono.empty();
        }
        Map<String, ThreadKey> ids = new HashMap<>();
        for (ThreadKey key : going) {
            long head = tips.get(key).head();
            for (int i = 1; i <= step; i++) {
                ids.put(CommitDocuments.id(key, generation(records.get(key)), head + i), key);
            }
        }
        return Flux.from(store.commits.find(in(ID, new ArrayList<>(ids.keySet())))
                        .projection(Projections.include(CommitDocuments.FIRST, CommitDocuments.LAST, CommitDocuments.WRITTEN_AT)))
                .collectList()
                .flatMap(found -> {
                    found.sort(Comparator.comparingLong(c -> longOf(c, CommitDocuments.FIRST)));
                    Map<ThreadKey, Long> asked = new HashMap<>();
                    going.forEach(key -> asked.put(key, tips.get(key).head() + step));
                    for (Document commit : found) {
                        ThreadKey key = ids.get(commit.getString(ID));
                        Tip tip = key == null ? null : tips.get(key);
                        // contiguous from the tip: a commit after a gap is not of this chain (yet)
                        if (tip != null && longOf(commit, CommitDocuments.FIRST) == tip.head() + 1) {
                            tips.put(key, new Tip(longOf(commit, CommitDocuments.LAST),
                                    Math.max(tip.updatedAt(), longOf(commit, CommitDocuments.WRITTEN_AT))));
                        }
                    }
                    // a chain goes on only if the commit after its tip starts past the versions asked for
                    List<ThreadKey> next = new ArrayList<>();
                    asked.forEach((key, last) -> {
                        if (tips.get(key).head() >= last) {
                            next.add(key);
                        }
                    });
                    return follow(records, tips, next, Math.min(2 * step, MAX_STEP));
                });
    }
}
