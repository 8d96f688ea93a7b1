package dev.engram.backend.mongodb;

import static com.mongodb.client.model.Filters.and;
import static com.mongodb.client.model.Filters.eq;
import static com.mongodb.client.model.Filters.exists;
import static com.mongodb.client.model.Filters.gt;
import static com.mongodb.client.model.Filters.gte;
import static com.mongodb.client.model.Filters.in;
import static com.mongodb.client.model.Filters.lte;
import static com.mongodb.client.model.Filters.or;
import static dev.engram.backend.mongodb.CommitDocuments.BATCH;
import static dev.engram.backend.mongodb.CommitDocuments.FIRST;
import static dev.engram.backend.mongodb.CommitDocuments.IDS;
import static dev.engram.backend.mongodb.CommitDocuments.INDEX;
import static dev.engram.backend.mongodb.CommitDocuments.LAST;
import static dev.engram.backend.mongodb.CommitDocuments.PARTS;
import static dev.engram.backend.mongodb.ThreadDocuments.COMMITS_EXPIRE_AT;
import static dev.engram.backend.mongodb.ThreadDocuments.CREATED_AT;
import static dev.engram.backend.mongodb.ThreadDocuments.DELETED_UP_TO;
import static dev.engram.backend.mongodb.ThreadDocuments.EXPIRES_AT;
import static dev.engram.backend.mongodb.ThreadDocuments.GENERATION;
import static dev.engram.backend.mongodb.ThreadDocuments.HEAD;
import static dev.engram.backend.mongodb.ThreadDocuments.ID;
import static dev.engram.backend.mongodb.ThreadDocuments.METADATA;
import static dev.engram.backend.mongodb.ThreadDocuments.NAMESPACE;
import static dev.engram.backend.mongodb.ThreadDocuments.TENANT;
import static dev.engram.backend.mongodb.ThreadDocuments.THREAD;
import static dev.engram.backend.mongodb.ThreadDocuments.TTL;
import static dev.engram.backend.mongodb.ThreadDocuments.UPDATED_AT;
import static dev.engram.backend.mongodb.ThreadDocuments.byGeneration;
import static dev.engram.backend.mongodb.ThreadDocuments.byId;
import static dev.engram.backend.mongodb.ThreadDocuments.byKey;
import static dev.engram.backend.mongodb.ThreadDocuments.generation;
import static dev.engram.backend.mongodb.ThreadDocuments.isExpired;
import static dev.engram.backend.mongodb.ThreadDocuments.longOf;

import com.mongodb.client.model.FindOneAndUpdateOptions;
import com.mongodb.client.model.InsertManyOptions;
import com.mongodb.client.model.Projections;
import com.mongodb.client.model.ReturnDocument;
import com.mongodb.client.model.Sorts;
import com.mongodb.client.model.Updates;
import dev.engram.core.BackendUnavailableException;
import dev.engram.core.CorruptDataException;
import dev.engram.core.EngramException;
import dev.engram.core.NotFoundException;
import dev.engram.core.model.Page;
import dev.engram.core.model.ThreadKey;
import dev.engram.core.model.ThreadQuery;
import dev.engram.core.spi.EventLog;
import dev.engram.core.spi.EventRecord;
import dev.engram.core.spi.LogAppend;
import dev.engram.core.spi.LogAppended;
import dev.engram.core.spi.ThreadRecord;
import dev.engram.core.spi.support.AppendRules;
import dev.engram.core.spi.support.ThreadCursor;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Date;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.BiConsumer;
import java.util.stream.Collectors;
import org.bson.Document;
import org.bson.conversions.Bson;
import org.jspecify.annotations.Nullable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Event logs as commit documents and thread records, without transactions.
 *
 * <p>The commits decide: a thread's head is the highest {@code last} among the commits of its current generation (or
 * the record's {@code head}/{@code del} when retention removed them), so a writer that stopped between its commit and
 * its record update loses nothing and the record catches up on the next read or write. An append is acknowledged only
 * after the record of the generation it wrote to was updated, so a commit that lands in a generation that was deleted
 * or expired meanwhile is discarded and the append tried again, never acknowledged into a dead thread.
 */
final class MongoEventLog implements EventLog {

    /** Lost races an append tolerates before it gives up with a transient error. */
    private static final int MAX_ATTEMPTS = 100;
    private static final int READ_BATCH = 64;

    private final MongoStore store;
    private final Clock clock;
    private final BiConsumer<ThreadKey, Long> published;
    private final AppendLanes lanes = new AppendLanes(this::writeGroup);
    private final java.time.Duration timeout;

    MongoEventLog(MongoStore store, Clock clock, BiConsumer<ThreadKey, Long> published) {
        this.store = store;
        this.timeout = store.timeout();
        this.clock = clock;
        this.published = published;
    }

    /** A live thread: its record, generation and head. */
    private record Live(Document record, long generation, long head) {

        long deletedUpTo() {
            return longOf(record, DELETED_UP_TO);
        }
    }

    // ---- reads of the head

    private Mono<Document> record(ThreadKey key) {
        return Mono.from(store.threads.find(byId(key)).first());
    }

    /**
     * The head as the commits say: commits of a generation are contiguous, so from the record's head (never ahead of
     * them) follow the commits by id until none follows. Usually one lookup by primary key, which finds nothing.
     */
    private Mono<Long> commitsHead(ThreadKey key, long generation, long from) {
        return chain(key, generation, from).map(d -> longOf(d, LAST)).last(from);
    }

    /** The commits that follow version {@code after}, in order. */
    private Flux<Document> chain(ThreadKey key, long generation, long after) {
        return next(key, generation, after).expand(d -> next(key, generation, longOf(d, LAST)));
    }

    private Mono<Document> next(ThreadKey key, long generation, long after) {
        return Mono.from(store.commits.find(eq(ID, CommitDocuments.id(key, generation, after + 1)))
                .projection(Projections.include(LAST)).first());
    }

    private Mono<Live> live(ThreadKey key, long now) {
        return record(key).filter(r -> !isExpired(r, now)).flatMap(r -> withHead(key, r));
    }

    private Mono<Live> withHead(ThreadKey key, Document record) {
        long g = generation(record);
        long hint = Math.max(longOf(record, HEAD), longOf(record, DELETED_UP_TO));
        return commitsHead(key, g, hint).flatMap(head -> {
            if (head <= hint) {
                return Mono.just(new Live(record, g, hint));
            }
            // a writer stopped between its commit and its record update: the commit counts and the record catches up
            return Mono.from(store.threads.updateOne(and(byId(key), eq(GENERATION, g)), Updates.max(HEAD, head)))
                    .onErrorResume(e -> Mono.empty())
                    .thenReturn(new Live(record, g, head));
        });
    }

    /** The thread's head, 0 when it is absent or expired. */
    Mono<Long> head(ThreadKey key) {
        return store.run("read the head of " + key, Mono.defer(() -> live(key, clock.millis())).map(Live::head).defaultIfEmpty(0L));
    }

    // ---- append

    @Override
    public Mono<LogAppended> append(LogAppend append) {
        return Mono.defer(() -> {
                    CommitDocuments.check(append.events());
                    return lanes.submit(append);
                })
                .timeout(timeout)
                .onErrorMap(e -> MongoErrors.translate(e, "append to " + append.key()))
                .doOnNext(r -> {
                    if (!r.deduplicated()) {
                        published.accept(append.key(), r.lastVersion());
                    }
                });
    }

    /** What the thread looked like to a group: its record (null when absent), whether it is live, its generation and head. */
    private record Seen(@Nullable Document record, boolean live, long generation, long head) {
    }

    private Mono<List<Object>> writeGroup(ThreadKey key, List<LogAppend> group) {
        return store.run("append to " + key, Mono.defer(() -> attempt(key, group, 1)));
    }

    /**
     * The rules of {@link LogAppend} for each append of the group in order, as if they came one after the other, then
     * one commit for those that write. A lost race, or a generation that ended under the commit, starts the group again.
     */
    private Mono<List<Object>> attempt(ThreadKey key, List<LogAppend> group, int attempt) {
        if (attempt > MAX_ATTEMPTS) {
            return Mono.error(new BackendUnavailableException("append to " + key + " lost " + MAX_ATTEMPTS
                    + " races in a row with other writers; try again"));
        }
        long now = group.stream().mapToLong(LogAppend::nowMillis).max().orElse(0);
        return record(key).map(Optional::of).defaultIfEmpty(Optional.empty()).flatMap(found -> {
            Document r = found.orElse(null);
            Mono<Seen> seen = r == null || isExpired(r, now)
                    ? Mono.just(new Seen(r, false, 0, 0))
                    : withHead(key, r).map(l -> new Seen(r, true, l.generation(), l.head()));
            return seen.flatMap(s -> {
                List<EventRecord> all = new ArrayList<>();
                group.forEach(a -> all.addAll(a.events()));
                // read after the head: a racing copy of an append either shows here or takes the same first version
                Mono<Map<UUID, EventRecord>> stored = s.head() == 0 ? Mono.just(Map.of())
                        : stored(key, s.generation(), longOf(s.record(), DELETED_UP_TO), all);
                return stored.flatMap(known -> {
                    Plan plan = Plan.of(group, s.head(), known);
                    if (plan.events.isEmpty()) {
                        return Mono.just(plan.outcomes);
                    }
                    Mono<Document> target = s.live() ? Mono.just(s.record()) : create(plan.accepted.get(0), s.record());
                    return target.flatMap(record -> commit(key, record, s.head(), plan))
                            .defaultIfEmpty(false)
                            .flatMap(done -> done ? Mono.just(plan.outcomes) : attempt(key, group, attempt + 1));
                });
            });
        });
    }

    /** The group's decisions: one outcome per append, and the events of those that write, with their versions. */
    private static final class Plan {
        final List<Object> outcomes = new ArrayList<>();
        final List<EventRecord> events = new ArrayList<>();
        final List<LogAppend> accepted = new ArrayList<>();

        static Plan of(List<LogAppend> group, long head, Map<UUID, EventRecord> stored) {
            Plan plan = new Plan();
            Map<UUID, EventRecord> known = new HashMap<>(stored);
            long h = head;
            for (LogAppend a : group) {
                try {
                    LogAppended duplicate = AppendRules.decide(a, h, known::get);
                    if (duplicate != null) {
                        plan.outcomes.add(duplicate);
                        continue;
                    }
                    long v = h;
                    for (EventRecord e : a.events()) {
                        EventRecord s = e.withVersion(++v);
                        known.put(s.eventId(), s);
                        plan.events.add(s);
                    }
                    plan.outcomes.add(new LogAppended(h + 1, v, false));
                    plan.accepted.add(a);
                    h = v;
                } catch (EngramException e) {
                    plan.outcomes.add(e);
                }
            }
            return plan;
        }

        /** Each write refreshes the TTL: the last one given wins, none given keeps {@code base}. */
        long ttl(long base) {
            long ttl = base;
            for (LogAppend a : accepted) {
                if (a.ttl() != null) {
                    ttl = a.ttl().toMillis();
                }
            }
            return ttl;
        }

        LogAppend last() {
            return accepted.get(accepted.size() - 1);
        }
    }

    /** The stored events of the generation that carry one of these ids (retention's watermark hides the older ones). */
    private Mono<Map<UUID, EventRecord>> stored(ThreadKey key, long generation, long deletedUpTo, List<EventRecord> events) {
        List<String> ids = new ArrayList<>(events.size());
        Set<UUID> wanted = new HashSet<>();
        for (EventRecord e : events) {
            ids.add(e.eventId().toString());
            wanted.add(e.eventId());
        }
        return Flux.from(store.commits.find(and(byGeneration(key, generation), in(IDS, ids))))
                .concatMap(this::eventsOf)
                .filter(e -> e.version() > deletedUpTo && wanted.contains(e.eventId()))
                .collectMap(EventRecord::eventId);
    }

    /** Starts a new generation: inserts the record, or replaces the expired one; empty when another writer was first. */
    private Mono<Document> create(LogAppend creator, @Nullable Document expired) {
        ThreadKey key = creator.key();
        long now = creator.nowMillis();
        long ttl = creator.ttl() != null ? creator.ttl().toMillis() : 0;
        Document record = ThreadDocuments.withKey(new Document(ID, ThreadDocuments.id(key)), key)
                .append(GENERATION, ThreadLocalRandom.current().nextLong() | 1)
                .append(HEAD, 0L)
                .append(DELETED_UP_TO, 0L)
                .append(CREATED_AT, now)
                .append(UPDATED_AT, now)
                .append(TTL, ttl)
                .append(METADATA, ThreadDocuments.metadata(creator.metadata()));
        if (ttl > 0) {
            record.append(EXPIRES_AT, new Date(now + ttl));
        }
        Mono<Boolean> written = expired == null
                ? Mono.from(store.threads.insertOne(record)).thenReturn(true)
                        .onErrorResume(MongoErrors::isDuplicateKey, e -> Mono.just(false))
                // the expiry in the filter: a writer that refreshed it meanwhile keeps the thread alive
                : Mono.from(store.threads.replaceOne(and(byId(key), eq(GENERATION, generation(expired)),
                        eq(EXPIRES_AT, expired.getDate(EXPIRES_AT))), record)).map(r -> r.getMatchedCount() == 1);
        return written.flatMap(ok -> ok ? sweep(key).thenReturn(record) : Mono.empty());
    }

    /**
     * Rule 4 for a group: inserts its commit at {@code head + 1}, keeps the commits' expiry ahead of the thread's, then
     * updates the record of the generation, which acknowledges. False when another commit took the version (E11000)
     * or the generation ended meanwhile (the commit is then removed again).
     */
    private Mono<Boolean> commit(ThreadKey key, Document record, long head, Plan plan) {
        long generation = generation(record);
        long first = head + 1;
        long last = head + plan.events.size();
        long now = plan.last().nowMillis();
        long ttl = plan.ttl(first == 1 ? 0 : longOf(record, TTL));
        Date floor = record.getDate(COMMITS_EXPIRE_AT);
        long commitsExpire = ttl > 0 ? Math.max(now + 2 * ttl, floor == null ? 0 : floor.getTime()) : 0;
        CommitDocuments.Batch batch = CommitDocuments.build(key, generation, first, plan.events, ThreadDocuments.date(commitsExpire));
        Mono<Void> insert = batch.parts().isEmpty()
                ? Mono.from(store.commits.insertOne(batch.commit())).then()
                : Mono.from(store.parts.insertMany(batch.parts(), new InsertManyOptions().ordered(true)))
                        .then(Mono.from(store.commits.insertOne(batch.commit()))).then();
        LogAppend creator = plan.accepted.get(0);
        return insert.thenReturn(true)
                .onErrorResume(MongoErrors::isDuplicateKey, e -> discardParts(batch).thenReturn(false))
                .flatMap(inserted -> !inserted ? Mono.just(false)
                        : refreshCommitExpiry(key, generation, record, ttl, first, now, commitsExpire)
                                .then(Mono.from(store.threads.updateOne(and(byId(key), eq(GENERATION, generation)),
                                        recordUpdate(creator, first, last, ttl, now, commitsExpire))))
                                .flatMap(updated -> updated.getMatchedCount() == 1 ? Mono.just(true)
                                        // the thread was deleted or expired and re-created meanwhile: this commit is dead
                                        : discard(batch).thenReturn(false)));
    }

    private static Bson recordUpdate(LogAppend creator, long first, long last, long ttl, long now, long commitsExpire) {
        List<Bson> u = new ArrayList<>();
        u.add(Updates.max(HEAD, last));
        u.add(Updates.max(UPDATED_AT, now));
        u.add(Updates.set(TTL, ttl));
        if (ttl > 0) {
            u.add(Updates.set(EXPIRES_AT, new Date(now + ttl)));
            u.add(Updates.max(COMMITS_EXPIRE_AT, new Date(commitsExpire)));
        } else {
            u.add(Updates.unset(EXPIRES_AT));
            u.add(Updates.unset(COMMITS_EXPIRE_AT));
        }
        if (first == 1) {
            // the writer of version 1 creates the thread, whoever inserted the record
            u.add(Updates.set(METADATA, ThreadDocuments.metadata(creator.metadata())));
            u.add(Updates.set(CREATED_AT, creator.nowMillis()));
        }
        return Updates.combine(u);
    }

    /**
     * Keeps every commit of the generation alive on the server (TTL index) at least as long as the thread: once per TTL
     * period, not per append, since commits are given twice the TTL.
     */
    private Mono<Void> refreshCommitExpiry(ThreadKey key, long generation, Document record, long ttl, long first, long now, long commitsExpire) {
        Date floor = record.getDate(COMMITS_EXPIRE_AT);
        Bson gen = byGeneration(key, generation);
        if (ttl > 0 && first > 1 && (floor == null || floor.getTime() < now + ttl)) {
            Bson max = Updates.max(EXPIRES_AT, new Date(commitsExpire));
            return Mono.when(store.commits.updateMany(gen, max), store.parts.updateMany(gen, max));
        }
        if (ttl == 0 && floor != null) {
            Bson unset = Updates.unset(EXPIRES_AT);
            return Mono.when(store.commits.updateMany(gen, unset), store.parts.updateMany(gen, unset));
        }
        return Mono.empty();
    }

    private Mono<Void> discardParts(CommitDocuments.Batch batch) {
        if (batch.parts().isEmpty()) {
            return Mono.empty();
        }
        return Mono.from(store.parts.deleteMany(eq(BATCH, batch.commit().getString(BATCH)))).then().onErrorResume(e -> Mono.empty());
    }

    private Mono<Void> discard(CommitDocuments.Batch batch) {
        return discardParts(batch)
                .then(Mono.from(store.commits.deleteOne(eq(ID, batch.commit().getString(ID)))).then())
                .onErrorResume(e -> Mono.empty());
    }

    /**
     * Removes what dead generations left behind. Sound without a lock: a generation's record is written before any of
     * its commits and, once replaced or deleted, never comes back; so a generation seen among the commits and then not
     * in the record is dead for good.
     */
    private Mono<Void> sweep(ThreadKey key) {
        return Flux.merge(Flux.from(store.commits.distinct(GENERATION, byKey(key), Long.class)),
                        Flux.from(store.parts.distinct(GENERATION, byKey(key), Long.class)))
                .collect(Collectors.toCollection(HashSet::new))
                .filter(gens -> !gens.isEmpty())
                .flatMap(gens -> record(key).map(ThreadDocuments::generation).defaultIfEmpty(0L).flatMap(current -> {
                    gens.remove(current);
                    if (gens.isEmpty()) {
                        return Mono.empty();
                    }
                    Bson dead = and(byKey(key), in(GENERATION, gens));
                    return Mono.when(store.parts.deleteMany(dead), store.commits.deleteMany(dead));
                }));
    }

    // ---- reads

    /** The events of a commit, with those of its parts before them. */
    private Flux<EventRecord> eventsOf(Document commit) {
        Object parts = commit.get(PARTS);
        if (!(parts instanceof Number n) || n.intValue() == 0) {
            return Flux.defer(() -> Flux.fromIterable(CommitDocuments.decode(commit)));
        }
        long first = longOf(commit, FIRST);
        long last = longOf(commit, LAST);
        return Flux.from(store.parts.find(eq(BATCH, commit.getString(BATCH))).sort(Sorts.ascending(INDEX)))
                .concatMapIterable(CommitDocuments::decode)
                .concatWith(Flux.defer(() -> Flux.fromIterable(CommitDocuments.decode(commit))))
                .collectList()
                .flatMapIterable(events -> {
                    if (events.size() != last - first + 1 || events.get(0).version() != first) {
                        throw new CorruptDataException("commit " + first + ".." + last + " of generation "
                                + commit.get(GENERATION) + " has " + events.size() + " events in its parts");
                    }
                    return events;
                });
    }

    @Override
    public Flux<EventRecord> read(ThreadKey key, long fromVersion, long toVersion, int limit) {
        return store.runMany("read " + key, Flux.defer(() -> record(key).filter(r -> !isExpired(r, clock.millis())).flatMapMany(r -> {
            long from = Math.max(fromVersion, longOf(r, DELETED_UP_TO) + 1);
            if (from > toVersion || limit <= 0) {
                return Flux.empty();
            }
            return Flux.from(store.commits.find(and(byGeneration(key, generation(r)), gte(LAST, from), lte(FIRST, toVersion)))
                            .sort(Sorts.ascending(LAST)).batchSize(Math.min(limit, READ_BATCH)))
                    .concatMap(this::eventsOf, 1)
                    .filter(e -> e.version() >= from && e.version() <= toVersion)
                    .take(limit);
        })));
    }

    @Override
    public Mono<ThreadRecord> find(ThreadKey key) {
        return store.run("find " + key, Mono.defer(() -> live(key, clock.millis()))
                .filter(l -> l.head() > 0)
                .map(l -> ThreadDocuments.toRecord(key, l.record(), l.head())));
    }

    @Override
    public Mono<ThreadRecord> updateMetadata(ThreadKey key, Map<String, String> set, Set<String> remove) {
        return store.run("update the metadata of " + key, Mono.defer(() -> live(key, clock.millis()))
                .filter(l -> l.head() > 0)
                .switchIfEmpty(Mono.error(() -> new NotFoundException("thread " + key + " does not exist")))
                .flatMap(l -> {
                    List<Bson> u = new ArrayList<>();
                    set.forEach((k, v) -> {
                        if (!remove.contains(k)) {
                            u.add(Updates.set(MetadataFields.path(k), v));
                        }
                    });
                    remove.forEach(k -> u.add(Updates.unset(MetadataFields.path(k))));
                    if (u.isEmpty()) {
                        return Mono.just(ThreadDocuments.toRecord(key, l.record(), l.head()));
                    }
                    return Mono.from(store.threads.findOneAndUpdate(and(byId(key), eq(GENERATION, l.generation())), Updates.combine(u),
                                    new FindOneAndUpdateOptions().returnDocument(ReturnDocument.AFTER)))
                            .switchIfEmpty(Mono.error(() -> new NotFoundException("thread " + key + " does not exist")))
                            .map(doc -> ThreadDocuments.toRecord(key, doc, Math.max(l.head(), longOf(doc, HEAD))));
                }));
    }

    @Override
    public Mono<Boolean> delete(ThreadKey key) {
        return store.run("delete " + key, Mono.defer(() -> deleteAttempt(key, 1)))
                .doOnNext(existed -> {
                    if (existed) {
                        published.accept(key, 0L);
                    }
                });
    }

    /** The record goes first: from then on the thread is absent, and its commits are garbage that {@link #sweep} also finds. */
    private Mono<Boolean> deleteAttempt(ThreadKey key, int attempt) {
        long now = clock.millis();
        return record(key).flatMap(r -> {
            long g = generation(r);
            Mono<Boolean> existed = isExpired(r, now) ? Mono.just(false) : withHead(key, r).map(l -> l.head() > 0);
            return existed.flatMap(ex -> Mono.from(store.threads.deleteOne(and(byId(key), eq(GENERATION, g)))).flatMap(res -> {
                if (res.getDeletedCount() == 0) {
                    return attempt < MAX_ATTEMPTS ? deleteAttempt(key, attempt + 1)
                            : Mono.error(new BackendUnavailableException("delete of " + key + " kept racing with writers; try again"));
                }
                Bson gen = byGeneration(key, g);
                return Mono.when(store.parts.deleteMany(gen), store.commits.deleteMany(gen)).then(sweep(key)).thenReturn(ex);
            }));
        }).switchIfEmpty(Mono.defer(() -> sweep(key).thenReturn(false)));
    }

    @Override
    public Mono<Long> deleteEventsUpTo(ThreadKey key, long upToVersion) {
        return store.run("delete events of " + key, Mono.defer(() -> live(key, clock.millis())).flatMap(l -> {
            long upTo = Math.min(upToVersion, l.head());
            if (upTo <= 0) {
                return Mono.just(0L);
            }
            // the watermark first: readers hide what it covers, so a stop half-way leaves garbage, never a gap
            return Mono.from(store.threads.findOneAndUpdate(and(byId(key), eq(GENERATION, l.generation())),
                            Updates.combine(Updates.max(DELETED_UP_TO, upTo), Updates.max(HEAD, l.head())),
                            new FindOneAndUpdateOptions().returnDocument(ReturnDocument.BEFORE)))
                    .flatMap(before -> {
                        long removed = Math.max(0, upTo - longOf(before, DELETED_UP_TO));
                        Bson covered = and(byGeneration(key, l.generation()), lte(LAST, upTo));
                        return Flux.from(store.commits.find(and(covered, gt(PARTS, 0))).projection(Projections.include(BATCH)))
                                .map(d -> d.getString(BATCH))
                                .collectList()
                                .flatMap(batches -> batches.isEmpty() ? Mono.empty() : Mono.from(store.parts.deleteMany(in(BATCH, batches))))
                                .then(Mono.from(store.commits.deleteMany(covered)))
                                .thenReturn(removed);
                    })
                    .defaultIfEmpty(0L);
        }).defaultIfEmpty(0L));
    }

    @Override
    public Mono<Page<ThreadRecord>> list(ThreadQuery query) {
        return store.run("list threads of " + query.tenant(), Mono.defer(() -> {
            List<Bson> f = new ArrayList<>();
            f.add(eq(TENANT, query.tenant()));
            f.add(gte(HEAD, 1L));
            f.add(or(exists(EXPIRES_AT, false), gt(EXPIRES_AT, new Date(clock.millis()))));
            query.metadata().forEach((k, v) -> f.add(eq(MetadataFields.path(k), v)));
            String after = query.after();
            if (after != null) {
                int slash = after.indexOf('/');
                String threadId = slash < 0 ? after : after.substring(0, slash);
                String namespace = slash < 0 ? "" : after.substring(slash + 1);
                f.add(or(gt(THREAD, threadId), and(eq(THREAD, threadId), gt(NAMESPACE, namespace))));
            }
            // ids are ASCII, so the server's binary string order is String.compareTo's (ThreadCursor.ORDER)
            return Flux.from(store.threads.find(and(f)).sort(Sorts.ascending(THREAD, NAMESPACE)).limit(query.limit() + 1))
                    .map(d -> ThreadDocuments.toRecord(ThreadDocuments.keyOf(d), d, Math.max(longOf(d, HEAD), longOf(d, DELETED_UP_TO))))
                    .collectList()
                    .map(items -> ThreadCursor.page(items, query.limit()));
        }));
    }
}
