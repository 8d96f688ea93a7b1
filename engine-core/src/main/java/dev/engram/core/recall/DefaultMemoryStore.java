package dev.engram.core.recall;

import dev.engram.core.ConfigurationException;
import dev.engram.core.InvalidInputException;
import dev.engram.core.PayloadTooLargeException;
import dev.engram.core.codec.Codec;
import dev.engram.core.config.MemorySettings;
import dev.engram.core.internal.WellFormedText;
import dev.engram.core.memory.Embedder;
import dev.engram.core.memory.MemoryHit;
import dev.engram.core.memory.MemoryItem;
import dev.engram.core.memory.MemoryKey;
import dev.engram.core.memory.MemorySearch;
import dev.engram.core.memory.MemoryStore;
import dev.engram.core.memory.MemoryWrite;
import dev.engram.core.memory.Namespace;
import dev.engram.core.memory.NamespaceQuery;
import dev.engram.core.spi.MemoryRecord;
import dev.engram.core.spi.MemoryStorage;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import org.jspecify.annotations.Nullable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * The memory store over a backend's {@link MemoryStorage}. It validates (before any I/O), timestamps, applies TTLs,
 * embeds, filters and ranks; the backend only stores records and returns those under a namespace prefix.
 *
 * <p>This object is the public store ({@code engram.memories()}): it refuses namespaces whose first segment starts
 * with {@value Namespace#RESERVED_PREFIX} and hides them from searches and listings of the whole tenant.
 * {@link #engineAccess()} is the engine's own view, which reads and writes those namespaces too (fact extraction keeps
 * its marks there).
 */
public final class DefaultMemoryStore implements MemoryStore {

    /** Namespaces in path order: segment by segment, a namespace before its children, {@code [a]} before {@code [ab]}. */
    public static final Comparator<Namespace> PATH_ORDER = (a, b) -> {
        List<String> x = a.segments();
        List<String> y = b.segments();
        int n = Math.min(x.size(), y.size());
        for (int i = 0; i < n; i++) {
            int c = x.get(i).compareTo(y.get(i));
            if (c != 0) {
                return c;
            }
        }
        return Integer.compare(x.size(), y.size());
    };

    /** Best first: higher score, then more recently updated, then namespace and key (so equal scores page stably). */
    private static final Comparator<Scored> RANKED = Comparator
            .comparingDouble((Scored s) -> s.score == null ? 0 : -s.score)
            .thenComparing((Scored s) -> s.record.item().updatedAt(), Comparator.reverseOrder())
            .thenComparing((Scored s) -> s.record.key().namespace(), PATH_ORDER)
            .thenComparing((Scored s) -> s.record.key().key());

    private final MemoryStorage storage;
    private final MemorySettings settings;
    private final Clock clock;
    private final @Nullable Embedder embedder;
    /** What the lexical score reads; also the owner of the terms memoised on each record. */
    private final ItemText lexicalText;
    private final ItemText embeddedText;
    private final boolean reservedAllowed;
    private final DefaultMemoryStore engineView;

    /**
     * @param embedder embeds items on write and queries on search; null: lexical ranking only
     */
    public DefaultMemoryStore(MemoryStorage storage, MemorySettings settings, Clock clock, @Nullable Embedder embedder) {
        this.storage = Objects.requireNonNull(storage, "storage");
        this.settings = Objects.requireNonNull(settings, "settings");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.embedder = embedder;
        try {
            this.lexicalText = new ItemText(settings.textFields(), "memory.textFields");
            this.embeddedText = new ItemText(settings.embedding().fields(), "memory.embedding.fields");
        } catch (InvalidInputException e) {
            throw new ConfigurationException(e.getMessage(), e);
        }
        this.reservedAllowed = false;
        this.engineView = new DefaultMemoryStore(this);
    }

    private DefaultMemoryStore(DefaultMemoryStore publicView) {
        this.storage = publicView.storage;
        this.settings = publicView.settings;
        this.clock = publicView.clock;
        this.embedder = publicView.embedder;
        this.lexicalText = publicView.lexicalText;
        this.embeddedText = publicView.embeddedText;
        this.reservedAllowed = true;
        this.engineView = this;
    }

    /**
     * The same store, also open to the reserved namespaces ({@value Namespace#RESERVED_PREFIX}…), and listing and
     * searching them like any other. For the engine's background work (fact extraction's marks); never handed to users.
     */
    public MemoryStore engineAccess() {
        return engineView;
    }

    @Override
    public Mono<MemoryItem> put(MemoryWrite write) {
        Objects.requireNonNull(write, "write");
        return Mono.defer(() -> {
            MemoryKey key = write.key();
            checkNamespace(key.namespace(), "namespace");
            WellFormedText.checkValue(write.value(), "value");
            return embedValue(write.value())
                    .map(Optional::of)
                    .defaultIfEmpty(Optional.empty())
                    .flatMap(vector -> {
                        Instant now = now();
                        return storage.get(key, now)
                                .map(old -> old.item().createdAt())
                                .defaultIfEmpty(now)
                                .flatMap(createdAt -> {
                                    Duration ttl = write.ttl() != null ? write.ttl() : settings.ttl();
                                    MemoryItem item = new MemoryItem(key, write.value(), write.kind(), write.provenance(), createdAt,
                                            now, ttl == null ? null : expiry(now, ttl));
                                    MemoryRecord record = new MemoryRecord(item, vector.orElse(null));
                                    checkSize(record);
                                    return storage.put(record).thenReturn(item);
                                });
                    });
        });
    }

    @Override
    public Mono<MemoryItem> get(MemoryKey key) {
        Objects.requireNonNull(key, "key");
        return Mono.defer(() -> {
            checkNamespace(key.namespace(), "namespace");
            Instant now = now();
            return storage.get(key, now)
                    .filter(r -> !r.item().expiredAt(now))
                    .flatMap(r -> touched(r.item(), now));
        });
    }

    @Override
    public Mono<Boolean> delete(MemoryKey key) {
        Objects.requireNonNull(key, "key");
        return Mono.defer(() -> {
            checkNamespace(key.namespace(), "namespace");
            return storage.delete(key);
        });
    }

    @Override
    public Mono<List<MemoryHit>> search(MemorySearch search) {
        Objects.requireNonNull(search, "search");
        return Mono.defer(() -> {
            checkPrefix(search.prefix());
            MemoryFilter filter = MemoryFilter.parse(search.filter());
            String query = search.query() == null || search.query().isBlank() ? null : search.query();
            Mono<Optional<float[]>> queryVector = query == null || embedder == null
                    ? Mono.just(Optional.empty())
                    : embed(query).map(Optional::of);
            return queryVector.flatMap(vector -> {
                Instant now = now();
                return storage.scan(search.tenant(), search.prefix(), now)
                        .filter(r -> isCandidate(r, now, search.kind(), filter))
                        .collectList()
                        .map(candidates -> rank(candidates, query, vector.orElse(null), search))
                        .flatMap(hits -> touched(hits, now));
            });
        });
    }

    @Override
    public Mono<List<Namespace>> namespaces(NamespaceQuery query) {
        Objects.requireNonNull(query, "query");
        return Mono.defer(() -> {
            checkPrefix(query.prefix());
            Instant now = now();
            Integer depth = query.maxDepth();
            return storage.scan(query.tenant(), query.prefix(), now)
                    .filter(r -> !r.item().expiredAt(now) && isVisible(r))
                    .map(r -> r.key().namespace())
                    .filter(ns -> ns.endsWith(query.suffix()))
                    .map(ns -> depth == null ? ns : ns.truncate(depth))
                    .collect(HashSet<Namespace>::new, Set::add)
                    .map(found -> found.stream().sorted(PATH_ORDER).skip(query.offset()).limit(query.limit()).toList());
        });
    }

    // ---- validation

    private void checkNamespace(Namespace namespace, String what) {
        if (!reservedAllowed && namespace.isReserved()) {
            throw new InvalidInputException(what + " " + namespace + " is reserved for the engine (its first segment starts with '"
                    + Namespace.RESERVED_PREFIX + "')");
        }
    }

    /** Every backend stores the codec's encoding, so its size is what the limit bounds (the vector included). */
    private void checkSize(MemoryRecord record) {
        int size = Codec.standard().encodeMemory(record).length;
        if (size > settings.maxItemBytes()) {
            throw new PayloadTooLargeException("memory item " + record.key(), size, settings.maxItemBytes());
        }
    }

    private void checkPrefix(Namespace prefix) {
        checkNamespace(prefix, "namespace prefix");
    }

    private boolean isVisible(MemoryRecord r) {
        return reservedAllowed || !r.key().namespace().isReserved();
    }

    private boolean isCandidate(MemoryRecord r, Instant now, @Nullable String kind, MemoryFilter filter) {
        MemoryItem item = r.item();
        return !item.expiredAt(now) && isVisible(r) && (kind == null || kind.equals(item.kind()))
                && (filter.isEmpty() || filter.test(item.value()));
    }

    // ---- ranking

    private record Scored(MemoryRecord record, @Nullable Double score) {
    }

    /**
     * The page of {@code candidates} the search asks for. Summaries beyond the best {@code maxSummaries} are dropped
     * from the ranked list before paging, so no page brings them back; a page holds at most {@code min(limit, maxMemories)}.
     * Two bounded selections (summaries, everything else) find the best {@code offset + page} without sorting the rest.
     */
    private List<MemoryHit> rank(List<MemoryRecord> candidates, @Nullable String query, float @Nullable [] queryVector, MemorySearch search) {
        int page = Math.min(search.limit(), settings.maxMemories());
        int needed = (int) Math.min((long) search.offset() + page, Integer.MAX_VALUE);
        TopK<Scored> others = new TopK<>(needed, RANKED);
        TopK<Scored> summaries = new TopK<>(Math.min(needed, settings.maxSummaries()), RANKED);
        if (query == null) {
            for (MemoryRecord r : candidates) {
                offer(new Scored(r, null), others, summaries);
            }
        } else {
            double w = queryVector == null ? 1 : settings.embedding().lexicalWeight();
            double[] lexical = w > 0 ? lexicalScores(candidates, query) : new double[0];
            if (queryVector == null) {
                for (int i = 0; i < candidates.size(); i++) {
                    if (lexical[i] > 0) {
                        offer(new Scored(candidates.get(i), lexical[i]), others, summaries);
                    }
                }
            } else {
                double best = 0;
                for (double l : lexical) {
                    best = Math.max(best, l);
                }
                for (int i = 0; i < candidates.size(); i++) {
                    MemoryRecord r = candidates.get(i);
                    float[] v = r.vector();
                    double cosine = v == null ? 0 : Vectors.dot(v, queryVector);
                    double score = best > 0 ? (1 - w) * cosine + w * lexical[i] / best : (1 - w) * cosine;
                    offer(new Scored(r, score), others, summaries);
                }
            }
        }
        List<Scored> merged = merge(others.best(), summaries.best());
        List<MemoryHit> hits = new ArrayList<>(page);
        for (int i = search.offset(); i < merged.size() && hits.size() < page; i++) {
            Scored s = merged.get(i);
            hits.add(new MemoryHit(s.record.item(), s.score));
        }
        return hits;
    }

    private static void offer(Scored s, TopK<Scored> others, TopK<Scored> summaries) {
        if (MemoryItem.SUMMARY.equals(s.record.item().kind())) {
            summaries.offer(s);
        } else {
            others.offer(s);
        }
    }

    private static List<Scored> merge(List<Scored> a, List<Scored> b) {
        List<Scored> out = new ArrayList<>(a.size() + b.size());
        int i = 0;
        int j = 0;
        while (i < a.size() || j < b.size()) {
            if (j >= b.size() || (i < a.size() && RANKED.compare(a.get(i), b.get(j)) <= 0)) {
                out.add(a.get(i++));
            } else {
                out.add(b.get(j++));
            }
        }
        return out;
    }

    /** The BM25 score of each candidate (0: it holds none of the query's words). */
    private double[] lexicalScores(List<MemoryRecord> candidates, String query) {
        List<String> words = List.copyOf(new LinkedHashSet<>(Tokens.of(query)));
        List<Terms> terms = new ArrayList<>(candidates.size());
        for (MemoryRecord r : candidates) {
            terms.add(r.derived(lexicalText, this::terms));
        }
        return Bm25.scores(words, terms);
    }

    private Terms terms(MemoryRecord r) {
        return Terms.of(lexicalText.strings(r.item().value()));
    }

    // ---- embedding

    private Mono<float[]> embedValue(Map<String, Object> value) {
        if (embedder == null) {
            return Mono.empty();
        }
        String text = embeddedText.joined(value);
        return text.isBlank() ? Mono.empty() : embed(text);
    }

    private Mono<float[]> embed(String text) {
        Embedder e = Objects.requireNonNull(embedder);
        String from = "'" + e.name() + "' (model " + e.model() + ")";
        return Mono.defer(() -> e.embed(List.of(text)))
                .switchIfEmpty(Mono.error(() -> new ConfigurationException("the embedder " + from + " returned nothing")))
                .map(vectors -> {
                    if (vectors.size() != 1) {
                        throw new ConfigurationException("the embedder " + from + " returned " + vectors.size() + " vectors for 1 text");
                    }
                    return Vectors.unit(vectors.get(0), from);
                });
    }

    // ---- time

    private Instant now() {
        return Instant.ofEpochMilli(clock.millis());
    }

    /** Millisecond precision, like every backend's timestamps; a TTL under a millisecond still lasts one. */
    private static Instant expiry(Instant now, Duration ttl) {
        return now.plusMillis(Math.max(1, ttl.toMillis()));
    }

    /**
     * With {@code memory.refreshTtlOnRead} and a {@code memory.ttl}, an item that expires is kept alive for
     * {@code memory.ttl} from now (never for less than it already had); the backend does it only if the item was not
     * written meanwhile.
     */
    private Mono<MemoryItem> touched(MemoryItem item, Instant now) {
        Duration ttl = settings.ttl();
        Instant expiresAt = item.expiresAt();
        if (!settings.refreshTtlOnRead() || ttl == null || expiresAt == null) {
            return Mono.just(item);
        }
        Instant later = expiry(now, ttl);
        if (!later.isAfter(expiresAt)) {
            return Mono.just(item);
        }
        return storage.refreshExpiry(item.key(), item.updatedAt(), later, now)
                .map(done -> done ? new MemoryItem(item.key(), item.value(), item.kind(), item.provenance(), item.createdAt(),
                        item.updatedAt(), later) : item);
    }

    private Mono<List<MemoryHit>> touched(List<MemoryHit> hits, Instant now) {
        if (!settings.refreshTtlOnRead() || settings.ttl() == null || hits.isEmpty()) {
            return Mono.just(hits);
        }
        return Flux.fromIterable(hits)
                .flatMapSequential(h -> touched(h.item(), now).map(i -> new MemoryHit(i, h.score())))
                .collectList();
    }
}
