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
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
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
 * the record's {@code head}/{@code del} when retention removed them), so the record's {@code head} may lag its commits
 * (a writer that stopped between its commit and its record update, or a head still in the write-behind) and every
 * read follows the commits from it. An append is acknowledged only once the record of the generation it wrote to was
 * found, after the commit, with the generation and retention watermark it was written under (by a compare-and-set
 * update where the record must change, by a read otherwise), so a commit that lands in a generation that was deleted
 * or expired meanwhile is discarded and the append tried again, never acknowledged into a dead thread.
 */
final class MongoEventLog implements EventLog {

    /** Lost races an append tolerates before it gives up with a transient error. */
    private static final int MAX_ATTEMPTS = 100;
    /** Versions a read asks commit ids for at once, and how far before its first version it looks for the commit holding it. */
    private static final int READ_WINDOW = 256;
    private static final int READ_BACK = 16;
    /** Threads whose generation and head this process keeps, at most. */
    static final int MAX_KNOWN = 10_000;

    private final MongoStore store;
    private final Clock clock;
    private final BiConsumer<ThreadKey, Long> published;
    private final AppendLanes lanes = new AppendLanes(this::writeGroup);
    private final CommitBatcher batcher;
    private final CommitChains chains;
    private final HeadWriteBehind heads;
    /** What this process last wrote to each thread it wrote lately; changed only by the thread's lane, and by delete. */
    private final ConcurrentHashMap<ThreadKey, Known> known = new ConcurrentHashMap<>();
    private final java.time.Duration timeout;

    MongoEventLog(MongoStore store, Clock clock, BiConsumer<ThreadKey, Long> published) {
        this.store = store;
        this.batcher = new CommitBatcher(store);
        this.chains = new CommitChains(store);
        this.heads = new HeadWriteBehind(store);
        this.timeout = store.timeout();
        this.clock = clock;
        this.published = published;
    }

    /** A live thread: its record, generation, head and the time of its last write. */
    private record Live(Document record, long generation, long head, long updatedAt) {

        long deletedUpTo() {
            return longOf(record, DELETED_UP_TO);
        }
    }

    /** Writes the heads still behind; the log takes no appends afterwards (its backend is closing). */
    Mono<Void> close() {
        return heads.close();
    }

    // ---- reads of the head

    private Mono<Document> record(ThreadKey key) {
        return Mono.from(store.threads.find(byId(key)).first());
    }

    private Mono<Live> live(ThreadKey key, long now) {
        return record(key).filter(r -> !isExpired(r, now)).flatMap(r -> withHead(key, r));
    }

    /**
     * The thread as the commits say: from the record's head (never ahead of them) follow the commits by id until none
     * follows; usually one lookup by primary key, which finds nothing.
     */
    private Mono<Live> withHead(ThreadKey key, Document stored) {
        Document record = withKnownHead(key, stored);
        long g = generation(record);
        long hint = CommitChains.start(record).head();
        return chains.tip(key, record).map(tip -> {
            if (tip.head() > hint) {
                // a head still in some write-behind, or a writer that stopped before its record update: the record catches up
                heads.raise(key, new HeadWriteBehind.Raise(g, longOf(record, DELETED_UP_TO), tip.head(), tip.updatedAt()));
            }
            return new Live(record, g, tip.head(), tip.updatedAt());
        });
    }

    /**
     * The record with the head (and time) this process last saw acknowledged in the record's generation, where that is
     * higher (it may still be in the write-behind): following the commits starts there. A generation never comes back
     * once ended, so that head is one of the record's commits, or under its watermark.
     */
    private Document withKnownHead(ThreadKey key, Document record) {
        Known k = known.get(key);
        if (k == null || k.generation() != generation(record) || k.head() <= longOf(record, HEAD)) {
            return record;
        }
        return new Document(record).append(HEAD, k.head()).append(UPDATED_AT, Math.max(k.updatedAt(), longOf(record, UPDATED_AT)));
    }

    /** The thread's head, 0 when it is absent or expired. */
    Mono<Long> head(ThreadKey key) {
        return store.run("read the head of " + key, Mono.defer(() -> live(key, clock.millis())).map(Live::head).defaultIfEmpty(0L));
    }

    // ---- append

    @Override
    public Mono<LogAppended> append(LogAppend append) {
        return MongoStore.bounded(Mono.defer(() -> {
                    CommitDocuments.check(append.events());
                    return lanes.submit(append);
                }), timeout)
                .onErrorMap(e -> MongoErrors.translate(e, "append to " + append.key()))
                .doOnNext(r -> {
                    if (!r.deduplicated()) {
                        published.accept(append.key(), r.lastVersion());
                    }
                });
    }

    /**
     * A live generation as this process last wrote it: what the next commit needs, without reading the record. A hint
     * only: when another process wrote since, the commit's primary key at {@code head + 1} is taken; when the thread was
     * deleted, re-created or retention passed the head, the record no longer has this (generation, watermark), which
     * the acknowledgement checks.
     */
    private record Known(long generation, long head, long deletedUpTo, long ttl, long expiresAt, long commitsExpireAt, long updatedAt) {

        static Known of(Document record, long head, long updatedAt) {
            Date commitsExpire = record.getDate(COMMITS_EXPIRE_AT);
            return new Known(ThreadDocuments.generation(record), head, longOf(record, DELETED_UP_TO), longOf(record, TTL),
                    ThreadDocuments.expiresAtMillis(record), commitsExpire == null ? 0 : commitsExpire.getTime(), updatedAt);
        }

        boolean expired(long now) {
            return expiresAt != 0 && expiresAt <= now;
        }
    }

    private void remember(ThreadKey key, Known k) {
        if (known.size() >= MAX_KNOWN && !known.containsKey(key)) {
            Iterator<ThreadKey> any = known.keySet().iterator();
            if (any.hasNext()) {
                any.next();
                any.remove();
            }
        }
        known.put(key, k);
    }

    private Mono<List<Object>> writeGroup(ThreadKey key, List<LogAppend> group) {
        return store.run("append to " + key, Mono.defer(() -> attempt(key, group, 1, false)));
    }

    /**
     * The rules of {@link LogAppend} for each append of the group in order, as if they came one after the other, then
     * one commit for those that write. Where event ids are unique, a group is first planned as if none of its ids were
     * stored, on the head this process knows: the unique index checks that when the commit goes in, and the ids are
     * looked up ({@code lookup}) only when it refuses one or before the plan refuses an append. A lost race, or a
     * generation that ended under the commit, starts the group again from the record.
     */
    private Mono<List<Object>> attempt(ThreadKey key, List<LogAppend> group, int attempt, boolean lookup) {
        if (attempt > MAX_ATTEMPTS) {
            return Mono.error(new BackendUnavailableException("append to " + key + " lost " + MAX_ATTEMPTS
                    + " races in a row with other writers; try again"));
        }
        long now = group.stream().mapToLong(LogAppend::nowMillis).max().orElse(0);
        boolean optimistic = !lookup && store.uniqueEventIds();
        Known cached = optimistic && attempt == 1 ? known.get(key) : null;
        if (cached != null && !cached.expired(now)) {
            return plan(key, group, attempt, false, null, cached);
        }
        return record(key).map(Optional::of).defaultIfEmpty(Optional.empty()).flatMap(found -> {
            Document r = found.orElse(null);
            if (r == null || isExpired(r, now)) {
                return plan(key, group, attempt, !optimistic, r, null);
            }
            return withHead(key, r).flatMap(l -> plan(key, group, attempt, !optimistic, r, Known.of(r, l.head(), l.updatedAt())));
        });
    }

    /** Plans the group on the thread as seen ({@code live} null: absent or expired, head 0) and writes its commit. */
    private Mono<List<Object>> plan(ThreadKey key, List<LogAppend> group, int attempt, boolean lookup, @Nullable Document record,
                                    @Nullable Known live) {
        long head = live == null ? 0 : live.head();
        Mono<Map<UUID, EventRecord>> stored = Mono.just(Map.of());
        if (lookup && live != null && record != null && head > 0) {
            List<EventRecord> all = new ArrayList<>();
            group.forEach(a -> all.addAll(a.events()));
            // read after the head: a racing copy of an append either shows here or takes the same first version
            stored = stored(key, live.generation(), longOf(record, DELETED_UP_TO), all);
        }
        return stored.flatMap(found -> {
            Plan plan = Plan.of(group, head, found);
            if (!lookup && head > 0 && plan.refuses()) {
                // rules 1 and 2 come before 3: an earlier copy of an append is answered, not refused, so look first
                return attempt(key, group, attempt, true);
            }
            if (plan.events.isEmpty()) {
                return Mono.just(plan.outcomes);
            }
            Mono<Known> target = live != null ? Mono.just(live) : create(plan.accepted.get(0), record);
            return target.flatMap(k -> commit(key, k, plan).flatMap(written -> switch (written) {
                        case DONE, SETTLED -> Mono.just(plan.answers(k.generation()));
                        case TAKEN -> attempt(key, group, attempt + 1, true);
                        case LOST -> attempt(key, group, attempt + 1, lookup);
                    }))
                    // another writer created the thread first
                    .switchIfEmpty(Mono.defer(() -> attempt(key, group, attempt + 1, lookup)));
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

        /** The outcomes once committed to {@code generation}: the append that created the thread reports it. */
        List<Object> answers(long generation) {
            List<Object> answers = new ArrayList<>(outcomes.size());
            for (Object o : outcomes) {
                answers.add(o instanceof LogAppended a && a.firstVersion() == 1 && !a.deduplicated()
                        ? new LogAppended(1, a.lastVersion(), false, generation) : o);
            }
            return answers;
        }

        /** Whether an append of the group is refused (a conflict, a mismatched or mixed retry). */
        boolean refuses() {
            return outcomes.stream().anyMatch(o -> o instanceof EngramException);
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

    /**
     * The generation's visible events that carry one of these ids: one lookup per id on the unique index of event ids,
     * and a commit found answers for all of its ids. Ids under retention's watermark, in a commit it could not delete
     * whole, are released from it as retention does (the id went with its event, and may be appended again).
     */
    private Mono<Map<UUID, EventRecord>> stored(ThreadKey key, long generation, long deletedUpTo, List<EventRecord> events) {
        Map<UUID, EventRecord> found = new HashMap<>();
        Set<UUID> answered = new HashSet<>();
        return Flux.fromIterable(events)
                .concatMap(e -> {
                    if (answered.contains(e.eventId())) {
                        return Mono.<Void>empty();
                    }
                    // exactly the fields of the unique index; a generation id is random, so check the thread as well
                    return Flux.from(store.commits.find(new Document(GENERATION, generation).append(IDS, e.eventId().toString())))
                            .filter(commit -> key.equals(ThreadDocuments.keyOf(commit)))
                            .concatMap(commit -> eventsOf(commit).collectList().flatMap(events1 -> {
                                List<String> hidden = new ArrayList<>();
                                for (EventRecord s : events1) {
                                    if (s.version() > deletedUpTo) {
                                        found.put(s.eventId(), s);
                                        answered.add(s.eventId());
                                    } else {
                                        hidden.add(s.eventId().toString());
                                    }
                                }
                                // retention passed the whole commit but stopped before removing it: remove it as it would
                                return hidden.size() == events1.size() ? remove(commit) : releaseIds(commit.getString(ID), hidden);
                            }))
                            .then(Mono.fromRunnable(() -> answered.add(e.eventId())));
                })
                .then(Mono.fromSupplier(() -> found));
    }

    /**
     * Takes ids out of a commit's {@code ids}, so the unique index no longer holds them (the events stay, hidden). Only
     * ever some of them: a commit whose every event is hidden is removed instead (an empty {@code ids} is a key of its
     * own in a unique index, which a second such commit of the generation would collide with).
     */
    private Mono<Void> releaseIds(String commitId, List<String> ids) {
        return ids.isEmpty() ? Mono.empty() : Mono.from(store.commits.updateOne(eq(ID, commitId), Updates.pullAll(IDS, ids))).then();
    }

    /** Removes a commit, then its parts (parts that no commit refers to are never read; a commit without them would be corrupt). */
    private Mono<Void> remove(Document commit) {
        String batch = commit.getString(BATCH);
        Mono<Void> parts = batch == null ? Mono.empty() : Mono.from(store.parts.deleteMany(eq(BATCH, batch))).then();
        return Mono.from(store.commits.deleteOne(eq(ID, commit.getString(ID)))).then(parts);
    }

    /**
     * Starts a new generation: inserts the record, or replaces the expired one (and sweeps what dead generations left);
     * empty when another writer was first.
     */
    private Mono<Known> create(LogAppend creator, @Nullable Document expired) {
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
        // a thread that was never there, or was deleted (which sweeps), has no dead generation to sweep but a crash's
        Mono<Void> sweep = expired == null ? Mono.empty() : sweep(key);
        return written.flatMap(ok -> ok ? sweep.thenReturn(Known.of(record, 0, now)) : Mono.empty());
    }

    /** What became of a group's commit. */
    private enum Written {
        /** Committed and acknowledged by the record. */
        DONE,
        /**
         * Committed, as the record said when it was read again to settle it; its watermark may have moved meanwhile, so
         * the next append reads the record rather than trust what this process knew.
         */
        SETTLED,
        /** Refused by a unique index: another commit took the version, or one of the ids is stored. */
        TAKEN,
        /** Removed again: the generation ended, or retention passed the version, meanwhile. */
        LOST
    }

    /**
     * Rule 4 for a group: keeps the commits' expiry ahead of the thread's, inserts its commit at {@code head + 1} with
     * the next batch of commits, then checks that the record is still of this generation with the same watermark, which
     * acknowledges. That check is enough: the commit's primary key is free only if nothing follows {@code head} (or
     * retention removed what did, and then the watermark moved). Where the record must change with the commit (version
     * 1 with the thread's metadata, a TTL set, refreshed or removed), the check is a compare-and-set update of the
     * record; otherwise it is a read of the record, and its head and time follow in the write-behind ({@link
     * HeadWriteBehind}). When the check failed or its outcome is unknown, the record settles whether the commit counts.
     */
    private Mono<Written> commit(ThreadKey key, Known k, Plan plan) {
        long generation = k.generation();
        long first = k.head() + 1;
        long last = k.head() + plan.events.size();
        long now = plan.last().nowMillis();
        long ttl = plan.ttl(first == 1 ? 0 : k.ttl());
        long commitsExpire = ttl > 0 ? Math.max(now + 2 * ttl, k.commitsExpireAt()) : 0;
        CommitDocuments.Batch batch = CommitDocuments.build(key, generation, first, plan.events, now, ThreadDocuments.date(commitsExpire));
        Mono<Void> parts = batch.parts().isEmpty() ? Mono.empty()
                : Mono.from(store.parts.insertMany(batch.parts(), new InsertManyOptions().ordered(true))).then();
        Document update = recordUpdate(k, plan.accepted.get(0), first, last, ttl, now, commitsExpire);
        // only the head and time would change: reading the record acknowledges, and they follow behind
        boolean headOnly = first > 1 && ttl == 0 && k.ttl() == 0 && k.expiresAt() == 0 && k.commitsExpireAt() == 0;
        Known after = new Known(generation, last, k.deletedUpTo(), ttl, ttl > 0 ? now + ttl : 0, commitsExpire, Math.max(now, k.updatedAt()));
        return parts
                .then(refreshCommitExpiry(key, k, ttl, first, now, commitsExpire))
                .then(batcher.submit(key, new CommitBatcher.Write(batch.commit(), ThreadDocuments.live(key, generation, k.deletedUpTo()),
                        headOnly ? null : update)))
                .flatMap(outcome -> switch (outcome) {
                    case COMMITTED -> {
                        if (headOnly) {
                            heads.raise(key, new HeadWriteBehind.Raise(generation, k.deletedUpTo(), last, now));
                        }
                        yield Mono.just(Written.DONE);
                    }
                    case TAKEN -> discardParts(batch).thenReturn(Written.TAKEN);
                    case UNCONFIRMED -> settle(key, generation, first, last, update, 1)
                            .flatMap(counts -> counts ? Mono.just(Written.SETTLED) : discard(batch).thenReturn(Written.LOST));
                })
                .doOnNext(written -> {
                    if (written == Written.DONE) {
                        remember(key, after);
                    } else {
                        known.remove(key);
                    }
                })
                .doOnError(e -> known.remove(key));
    }

    /**
     * Whether a commit that its record did not acknowledge counts (the update or read of the record did not find it as
     * expected, or failed): not when its generation ended or retention's watermark reached it meanwhile; yes when the
     * record's head is past it (a later commit builds on it); otherwise its update is applied to the record as it is
     * now (the update only raises the head, to the commit's last, so applying it twice changes nothing).
     */
    private Mono<Boolean> settle(ThreadKey key, long generation, long first, long last, Bson update, int attempt) {
        return record(key).flatMap(r -> {
            long deletedUpTo = longOf(r, DELETED_UP_TO);
            if (ThreadDocuments.generation(r) != generation || deletedUpTo >= first) {
                return Mono.just(false);
            }
            if (longOf(r, HEAD) > last) {
                return Mono.just(true);
            }
            if (attempt > MAX_ATTEMPTS) {
                return Mono.error(new BackendUnavailableException("the record of " + key + " kept changing under an append; try again"));
            }
            return Mono.from(store.threads.updateOne(ThreadDocuments.live(key, generation, deletedUpTo), update))
                    .flatMap(u -> u.getMatchedCount() == 1 ? Mono.just(true) : settle(key, generation, first, last, update, attempt + 1));
        }).defaultIfEmpty(false);
    }

    /** The record's update for a commit: head and time, and of the TTL fields only what differs from {@code k}. */
    private static Document recordUpdate(Known k, LogAppend creator, long first, long last, long ttl, long now, long commitsExpire) {
        Document max = new Document(HEAD, last).append(UPDATED_AT, now);
        Document set = new Document();
        Document unset = new Document();
        if (ttl != k.ttl()) {
            set.append(TTL, ttl);
        }
        if (ttl > 0) {
            set.append(EXPIRES_AT, new Date(now + ttl));
            max.append(COMMITS_EXPIRE_AT, new Date(commitsExpire));
        } else {
            if (k.expiresAt() != 0) {
                unset.append(EXPIRES_AT, "");
            }
            if (k.commitsExpireAt() != 0) {
                unset.append(COMMITS_EXPIRE_AT, "");
            }
        }
        if (first == 1) {
            // the writer of version 1 creates the thread, whoever inserted the record
            set.append(METADATA, ThreadDocuments.metadata(creator.metadata())).append(CREATED_AT, creator.nowMillis());
        }
        Document update = new Document("$max", max);
        if (!set.isEmpty()) {
            update.append("$set", set);
        }
        if (!unset.isEmpty()) {
            update.append("$unset", unset);
        }
        return update;
    }

    /**
     * Keeps every commit of the generation alive on the server (TTL index) at least as long as the thread: once per TTL
     * period, not per append, since commits are given twice the TTL.
     */
    private Mono<Void> refreshCommitExpiry(ThreadKey key, Known k, long ttl, long first, long now, long commitsExpire) {
        long floor = k.commitsExpireAt();
        Bson gen = byGeneration(key, k.generation());
        if (ttl > 0 && first > 1 && floor < now + ttl) {
            Bson max = Updates.max(EXPIRES_AT, new Date(commitsExpire));
            return Mono.when(store.commits.updateMany(gen, max), store.parts.updateMany(gen, max));
        }
        if (ttl == 0 && floor != 0) {
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
            long g = generation(r);
            long hint = longOf(withKnownHead(key, r), HEAD);
            return window(key, g, hint, from, toVersion, limit)
                    .expand(w -> w.next() > toVersion || w.next() <= w.end() ? Mono.empty()
                            : window(key, g, hint, w.next(), toVersion, limit))
                    .concatMapIterable(Window::commits)
                    .concatMap(this::eventsOf, 1)
                    .filter(e -> e.version() >= from && e.version() <= toVersion)
                    .take(limit);
        })));
    }

    /**
     * Commits of the chain found by one read: those from the one that holds {@code from}, in order; {@code end} is the
     * last version the read asked ids for, {@code next} the first version after the commits found.
     */
    private record Window(List<Document> commits, long end, long next) {
    }

    /**
     * The commits that hold {@code from} and the versions after it, by primary key: the ids of the commits that would
     * start at each version of a window around {@code from} (commits are contiguous, so those found chain up from the
     * one that holds {@code from}). When that one starts before the window, a range query on {@code first}/{@code last}
     * finds it, and the next window goes on after it.
     */
    private Mono<Window> window(ThreadKey key, long generation, long recordHead, long from, long to, int limit) {
        long start = Math.max(1, from - READ_BACK);
        long end = from + Math.min(Math.min(to - from, limit - 1L), READ_WINDOW - 1);
        List<String> ids = new ArrayList<>((int) (end - start + 1));
        for (long v = start; v <= end; v++) {
            ids.add(CommitDocuments.id(key, generation, v));
        }
        return Flux.from(store.commits.find(in(ID, ids))).collectList().flatMap(found -> {
            found.sort(java.util.Comparator.comparingLong(d -> longOf(d, FIRST)));
            List<Document> chain = new ArrayList<>();
            long next = from;
            boolean endsBefore = false;
            for (Document c : found) {
                long first = longOf(c, FIRST);
                long last = longOf(c, LAST);
                endsBefore |= last < from;
                if (chain.isEmpty() ? first <= from && last >= from : first == next) {
                    chain.add(c);
                    next = last + 1;
                }
            }
            if (!chain.isEmpty() || endsBefore || (from > recordHead && start <= recordHead + 1)) {
                // nothing holds from although the window reached the commit after one that ends before it, or after the
                // record's head: past the head
                return Mono.just(new Window(chain, end, next));
            }
            return Mono.from(store.commits.find(and(byGeneration(key, generation), gte(LAST, from), lte(FIRST, from)))
                            .sort(Sorts.ascending(LAST)).first())
                    .map(holder -> new Window(List.of(holder), from, longOf(holder, LAST) + 1))
                    .defaultIfEmpty(new Window(List.of(), Long.MAX_VALUE, Long.MAX_VALUE));
        });
    }

    @Override
    public Mono<ThreadRecord> find(ThreadKey key) {
        return store.run("find " + key, Mono.defer(() -> live(key, clock.millis()))
                .filter(l -> l.head() > 0)
                .map(l -> ThreadDocuments.toRecord(key, l.record(), l.head(), l.updatedAt())));
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
                        return Mono.just(ThreadDocuments.toRecord(key, l.record(), l.head(), l.updatedAt()));
                    }
                    return Mono.from(store.threads.findOneAndUpdate(and(byId(key), eq(GENERATION, l.generation())), Updates.combine(u),
                                    new FindOneAndUpdateOptions().returnDocument(ReturnDocument.AFTER)))
                            .switchIfEmpty(Mono.error(() -> new NotFoundException("thread " + key + " does not exist")))
                            .map(doc -> ThreadDocuments.toRecord(key, doc, Math.max(l.head(), longOf(doc, HEAD)),
                                    Math.max(l.updatedAt(), longOf(doc, UPDATED_AT))));
                }));
    }

    @Override
    public Mono<Boolean> delete(ThreadKey key) {
        return store.run("delete " + key, Mono.defer(() -> {
                    known.remove(key);
                    heads.forget(key);
                    return deleteAttempt(key, 1);
                }))
                .doFinally(s -> {
                    known.remove(key);
                    heads.forget(key);
                })
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
                                .then(releaseStraddler(key, l.generation(), upTo))
                                .thenReturn(removed);
                    })
                    .defaultIfEmpty(0L);
        }).defaultIfEmpty(0L));
    }

    /**
     * Releases the ids of the events under the watermark from the commit that straddles it, so they may be appended
     * again as with every backend. A commit's {@code ids} are its newest events' in order (releases only ever take the
     * oldest), so the hidden ones are a prefix.
     */
    private Mono<Void> releaseStraddler(ThreadKey key, long generation, long upTo) {
        return Flux.from(store.commits.find(and(byGeneration(key, generation), lte(FIRST, upTo), gt(LAST, upTo)))
                        .projection(Projections.include(LAST, IDS)))
                .concatMap(c -> {
                    List<String> ids = CommitDocuments.ids(c);
                    long hidden = Math.max(0, Math.min(ids.size(), upTo - (longOf(c, LAST) - ids.size())));
                    return releaseIds(c.getString(ID), ids.subList(0, (int) hidden));
                })
                .then();
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
                    .collectList()
                    .flatMap(records -> {
                        // the records' heads may lag their commits: all of the page's chains are followed at once
                        Map<ThreadKey, Document> byKey = new LinkedHashMap<>();
                        records.forEach(d -> {
                            ThreadKey key = ThreadDocuments.keyOf(d);
                            byKey.put(key, withKnownHead(key, d));
                        });
                        return chains.tips(byKey).map(tips -> {
                            List<ThreadRecord> items = new ArrayList<>(byKey.size());
                            byKey.forEach((key, d) -> items.add(ThreadDocuments.toRecord(key, d, tips.get(key).head(), tips.get(key).updatedAt())));
                            return ThreadCursor.page(items, query.limit());
                        });
                    });
        }));
    }
}
