package dev.engram.core.local;

import dev.engram.core.BackendUnavailableException;
import dev.engram.core.NotFoundException;
import dev.engram.core.model.ThreadKey;
import dev.engram.core.spi.EventRecord;
import dev.engram.core.spi.LogAppend;
import dev.engram.core.spi.LogAppended;
import dev.engram.core.spi.StoredCheckpoint;
import dev.engram.core.spi.ThreadRecord;
import dev.engram.core.spi.support.AppendRules;
import dev.engram.core.spi.support.ThreadRecords;
import dev.engram.core.spi.support.InProcessChangeFeed;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.jspecify.annotations.Nullable;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;
import org.rocksdb.WriteBatch;
import org.rocksdb.WriteOptions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Mono;
import reactor.core.publisher.MonoSink;
import reactor.core.scheduler.Scheduler;

/**
 * The one thread that writes. Writes wait in a bounded queue; the thread takes up to {@code maxBatch} at a time and
 * turns each run of consecutive appends into one group: every append is decided against the thread's head as the
 * group left it, the accepted ones go into one {@link WriteBatch}, written with one {@code write} (synced in
 * {@link SyncMode#ALWAYS}), and only then are their heads published and their callers answered. Other writes
 * (metadata, deletes, checkpoints) are applied one at a time between groups. The thread also syncs the log in
 * {@link SyncMode#INTERVAL} mode and sweeps expired threads.
 *
 * <p>The writer keeps the committed record of recently used threads, so deciding an append reads RocksDB only on a
 * thread's first use; a group's own changes live in the group until its write succeeds.
 */
final class LocalWriter {

    private static final Logger log = LoggerFactory.getLogger(LocalWriter.class);
    private static final AtomicInteger INSTANCES = new AtomicInteger();
    /** Committed thread records kept for deciding appends. */
    static final int CACHE_SIZE = 16_384;
    /** Records one sweep looks at, and expired threads it removes at most, so a sweep never stalls appends for long. */
    static final int SWEEP_SCAN = 10_000;
    static final int SWEEP_PURGE = 1_000;

    private final LocalDb db;
    private final LocalSettings settings;
    private final Clock clock;
    private final Scheduler acks;
    private final InProcessChangeFeed feed = new InProcessChangeFeed(this::head);
    private final WriteOptions writeOptions;
    /**
     * Checkpoints are derived data: a lost one means an older checkpoint or a longer replay, never a lost event. They
     * skip their own sync, and the next synced group commit flushes the log (in order) with them.
     */
    private final WriteOptions derivedWriteOptions = new WriteOptions().setSync(false);
    private final LinkedBlockingQueue<Command> queue = new LinkedBlockingQueue<>();
    private final AtomicInteger queued = new AtomicInteger();
    private final AtomicLong writes = new AtomicLong();
    private final CompletableFuture<Void> terminatedFuture = new CompletableFuture<>();
    private final Thread thread;
    private final LinkedHashMap<ThreadKey, Optional<ThreadRecord>> cache = new LinkedHashMap<>(256, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<ThreadKey, Optional<ThreadRecord>> eldest) {
            return size() > CACHE_SIZE;
        }
    };

    private volatile boolean closing;
    private volatile boolean terminated;
    private boolean unsynced;
    private long nextSyncNanos;
    private byte @Nullable [] sweepFrom;
    private volatile Runnable alsoSweep = () -> { };

    LocalWriter(LocalDb db, LocalSettings settings, Clock clock, Scheduler acks) {
        this.db = db;
        this.settings = settings;
        this.clock = clock;
        this.acks = acks;
        this.writeOptions = new WriteOptions().setSync(settings.sync() == SyncMode.ALWAYS);
        this.thread = new Thread(this::run, "engram-local-writer-" + INSTANCES.incrementAndGet());
        this.thread.setDaemon(true);
        this.thread.start();
    }

    InProcessChangeFeed feed() {
        return feed;
    }

    /** Adds work to every sweep, run on the writer thread after the threads' sweep (the memory items' expiry). */
    void alsoSweep(Runnable sweep) {
        this.alsoSweep = sweep;
    }

    /** How many times the database was written (group commits and single writes); for tests. */
    long writes() {
        return writes.get();
    }

    // ---- what callers submit

    Mono<LogAppended> append(LogAppend append) {
        return answered(Mono.create(sink -> submit(new AppendCommand(append, sink))));
    }

    Mono<ThreadRecord> updateMetadata(ThreadKey key, Map<String, String> set, Set<String> remove) {
        return task("updating the metadata of " + key, () -> {
            byte[] prefix = LocalFormat.prefix(key);
            ThreadRecord r = committed(key, prefix);
            if (r == null || r.isExpiredAt(clock.millis())) {
                throw new NotFoundException("thread " + key + " does not exist");
            }
            TreeMap<String, String> m = new TreeMap<>(r.metadata());
            m.putAll(set);
            remove.forEach(m::remove);
            ThreadRecord updated = new ThreadRecord(r.key(), r.version(), r.generation(), r.createdAtMillis(), r.updatedAtMillis(),
                    r.expiresAtMillis(), r.ttlMillis(), Map.copyOf(m));
            try (WriteBatch batch = new WriteBatch()) {
                batch.put(db.threads, prefix, LocalFormat.encodeRecord(updated));
                write(batch);
            }
            cache.put(key, Optional.of(updated));
            return updated;
        });
    }

    Mono<Boolean> delete(ThreadKey key) {
        return task("deleting " + key, () -> {
            byte[] prefix = LocalFormat.prefix(key);
            ThreadRecord r = committed(key, prefix);
            if (r == null) {
                return false;
            }
            boolean existed = !r.isExpiredAt(clock.millis());
            try (WriteBatch batch = new WriteBatch()) {
                purge(batch, prefix);
                write(batch);
            }
            cache.put(key, Optional.empty());
            if (existed) {
                feed.publish(key, 0);
            }
            return existed;
        });
    }

    Mono<Long> deleteEventsUpTo(ThreadKey key, long upToVersion) {
        return task("deleting events of " + key, () -> {
            byte[] prefix = LocalFormat.prefix(key);
            ThreadRecord r = committed(key, prefix);
            if (r == null || r.isExpiredAt(clock.millis())) {
                return 0L;
            }
            long upTo = Math.min(upToVersion, r.version());
            long first = -1;
            long n = 0;
            try (WriteBatch batch = new WriteBatch(); RocksIterator it = db.db.newIterator(db.events)) {
                for (it.seek(prefix); it.isValid() && LocalFormat.startsWith(it.key(), prefix); it.next()) {
                    long v = LocalFormat.versionOf(it.key());
                    if (v > upTo) {
                        break;
                    }
                    first = first < 0 ? v : first;
                    batch.delete(db.ids, LocalFormat.idKey(prefix, LocalFormat.eventIdOf(key, v, it.value())));
                    n++;
                }
                it.status();
                if (n > 0) {
                    batch.deleteRange(db.events, LocalFormat.versionKey(prefix, first), LocalFormat.versionKey(prefix, upTo + 1));
                    write(batch);
                }
            }
            return n;
        });
    }

    Mono<Void> saveCheckpoint(StoredCheckpoint checkpoint) {
        return task("saving checkpoint " + checkpoint.version() + " of " + checkpoint.key(), () -> {
            try (WriteBatch batch = new WriteBatch()) {
                batch.put(db.checkpoints, LocalFormat.versionKey(LocalFormat.prefix(checkpoint.key()), checkpoint.version()),
                        LocalFormat.encodeCheckpoint(checkpoint));
                write(batch, derivedWriteOptions);
            }
            return null;
        }).then();
    }

    Mono<Void> deleteCheckpoint(ThreadKey key, long version) {
        return task("deleting checkpoint " + version + " of " + key, () -> {
            try (WriteBatch batch = new WriteBatch()) {
                batch.delete(db.checkpoints, LocalFormat.versionKey(LocalFormat.prefix(key), version));
                write(batch, derivedWriteOptions);
            }
            return null;
        }).then();
    }

    Mono<Void> deleteCheckpoints(ThreadKey key) {
        return task("deleting the checkpoints of " + key, () -> {
            byte[] prefix = LocalFormat.prefix(key);
            try (WriteBatch batch = new WriteBatch()) {
                batch.deleteRange(db.checkpoints, prefix, LocalFormat.end(prefix));
                write(batch, derivedWriteOptions);
            }
            return null;
        }).then();
    }

    /** Lets tests hold the writer still while they queue a known group. */
    Mono<Void> runOnWriter(Runnable action) {
        return task("running a test action", () -> {
            action.run();
            return null;
        }).then();
    }

    /**
     * The head as the writer knows it, emitted on the writer thread itself (no hop): the change feed's first head and
     * the heads the writer publishes then reach a subscriber in commit order, never an older head after a newer one.
     */
    private Mono<Long> head(ThreadKey key) {
        return Mono.create(sink -> submit(new Task<Long>("reading the head of " + key, sink, () -> {
            ThreadRecord r = committed(key, LocalFormat.prefix(key));
            return r == null || r.isExpiredAt(clock.millis()) ? 0L : r.version();
        })));
    }

    /**
     * Answers leave the writer thread at once: a caller's downstream (even a {@code block()} on another write) runs on
     * the ack scheduler and can never stall or deadlock the writer.
     */
    private <T> Mono<T> answered(Mono<T> mono) {
        return mono.publishOn(acks).onErrorMap(RejectedExecutionException.class, e -> LocalErrors.closed());
    }

    /** Runs {@code work} on the writer thread, between group commits; it may call {@link #write(WriteBatch)}. */
    <T> Mono<T> task(String what, LocalDb.Call<@Nullable T> work) {
        return answered(Mono.create(sink -> submit(new Task<>(what, sink, work))));
    }

    private void submit(Command command) {
        if (closing) {
            command.fail(LocalErrors.closed());
            return;
        }
        if (queued.incrementAndGet() > settings.maxQueued()) {
            queued.decrementAndGet();
            command.fail(new BackendUnavailableException("the local backend has " + settings.maxQueued()
                    + " writes waiting (maxQueued); retry later"));
            return;
        }
        queue.add(command);
        if (terminated) {
            failQueued();
        }
    }

    // ---- closing

    /** Stops taking writes, finishes the queued ones, syncs, and closes the database; completes when all is done. */
    Mono<Void> close() {
        return Mono.defer(() -> {
            if (!closing) {
                closing = true;
                queue.add(WAKE);
            }
            return Mono.fromFuture(terminatedFuture, true);
        });
    }

    private void failQueued() {
        Command c;
        while ((c = queue.poll()) != null) {
            c.fail(LocalErrors.closed());
        }
    }

    // ---- the writer thread

    private void run() {
        long sweepNanos = settings.sweepInterval().toNanos();
        long nextSweep = System.nanoTime() + sweepNanos;
        List<Command> commands = new ArrayList<>(settings.maxBatch());
        while (true) {
            try {
                long wait = nextSweep - System.nanoTime();
                if (unsynced) {
                    wait = Math.min(wait, nextSyncNanos - System.nanoTime());
                }
                Command first = queue.poll(Math.max(0, wait), TimeUnit.NANOSECONDS);
                if (first != null) {
                    commands.add(first);
                    queue.drainTo(commands, settings.maxBatch() - 1);
                    queued.addAndGet(-(int) commands.stream().filter(c -> c != WAKE).count());
                    process(commands);
                    commands.clear();
                }
                long now = System.nanoTime();
                if (unsynced && now - nextSyncNanos >= 0) {
                    syncLog();
                }
                if (now - nextSweep >= 0) {
                    nextSweep = now + sweepNanos;
                    sweep();
                    alsoSweep.run();
                }
                if (closing && queue.isEmpty()) {
                    break;
                }
            } catch (InterruptedException e) {
                log.debug("the local writer ignores interrupts; it stops when the backend closes");
            } catch (Throwable t) {
                log.error("local writer: unexpected failure, continuing", t);
                commands.forEach(c -> c.fail(t));
                commands.clear();
            }
        }
        shutdown();
    }

    private void shutdown() {
        try {
            syncLog();
        } finally {
            db.close();
            writeOptions.close();
            derivedWriteOptions.close();
            terminated = true;
            failQueued();
            terminatedFuture.complete(null);
        }
    }

    /** Syncs what was written without sync; an acknowledged write is already in the OS, so failing here is only logged. */
    private void syncLog() {
        unsynced = false;
        try {
            db.call("syncing the log", () -> {
                db.db.flushWal(true);
                return null;
            });
        } catch (RuntimeException e) {
            log.error("local backend: syncing the write-ahead log of {} failed: {}", db.dir, e.getMessage());
        }
    }

    private void process(List<Command> commands) {
        Group group = null;
        for (Command c : commands) {
            if (c == WAKE) {
                continue;
            }
            if (c instanceof AppendCommand a) {
                if (group == null) {
                    group = new Group();
                }
                try {
                    group.add(a);
                } catch (RocksDBException | RuntimeException e) {
                    group.abort(a, e instanceof RocksDBException r ? LocalErrors.translate(r, "preparing a group commit") : e);
                    group = null;
                }
            } else {
                if (group != null) {
                    group.commit();
                    group = null;
                }
                ((Task<?>) c).execute();
            }
        }
        if (group != null) {
            group.commit();
        }
    }

    /** Writes with the configured sync mode; on the writer thread only (from a {@link #task}). */
    void write(WriteBatch batch) {
        write(batch, writeOptions);
    }

    private void write(WriteBatch batch, WriteOptions options) {
        db.call("writing to " + db.dir, () -> {
            db.db.write(options, batch);
            return null;
        });
        writes.incrementAndGet();
        if (settings.sync() == SyncMode.INTERVAL && !unsynced) {
            unsynced = true;
            nextSyncNanos = System.nanoTime() + settings.syncInterval().toNanos();
        }
    }

    /** The committed record of a thread (expired or not), from the cache or RocksDB. */
    private @Nullable ThreadRecord committed(ThreadKey key, byte[] prefix) {
        Optional<ThreadRecord> cached = cache.get(key);
        if (cached == null) {
            byte[] value = db.call("reading " + key, () -> db.db.get(db.threads, prefix));
            cached = Optional.ofNullable(value == null ? null : LocalFormat.decodeRecord(key, value));
            cache.put(key, cached);
        }
        return cached.orElse(null);
    }

    /** Removes all of a thread's data: its events, ids, checkpoints and record. */
    private void purge(WriteBatch batch, byte[] prefix) throws RocksDBException {
        byte[] end = LocalFormat.end(prefix);
        batch.deleteRange(db.events, prefix, end);
        batch.deleteRange(db.ids, prefix, end);
        batch.deleteRange(db.checkpoints, prefix, end);
        batch.delete(db.threads, prefix);
    }

    /** Removes a bounded number of expired threads, resuming where the last sweep stopped. */
    private void sweep() {
        long now = clock.millis();
        List<ThreadKey> removed = new ArrayList<>();
        db.call("sweeping expired threads", () -> {
            try (WriteBatch batch = new WriteBatch(); RocksIterator it = db.db.newIterator(db.threads)) {
                if (sweepFrom == null) {
                    it.seekToFirst();
                } else {
                    it.seek(sweepFrom);
                }
                for (int scanned = 0; it.isValid() && scanned < SWEEP_SCAN && removed.size() < SWEEP_PURGE; scanned++, it.next()) {
                    try {
                        ThreadKey key = LocalFormat.threadKeyOf(it.key());
                        if (LocalFormat.decodeRecord(key, it.value()).isExpiredAt(now)) {
                            purge(batch, it.key());
                            removed.add(key);
                        }
                    } catch (RuntimeException e) {
                        log.error("local backend: skipping an unreadable thread record while sweeping: {}", e.getMessage());
                    }
                }
                it.status();
                sweepFrom = it.isValid() ? it.key() : null;
                if (!removed.isEmpty()) {
                    write(batch);
                }
            }
            return null;
        });
        removed.forEach(k -> cache.put(k, Optional.empty()));
        if (!removed.isEmpty()) {
            log.debug("local backend: swept {} expired threads", removed.size());
        }
    }

    // ---- one group commit

    /** A thread as the group in progress sees it: committed state plus the group's own changes. */
    private final class Pending {
        final ThreadKey key;
        final byte[] prefix;
        @Nullable ThreadRecord record;
        final HashMap<UUID, EventRecord> added = new HashMap<>();
        boolean purged;
        boolean changed;
        boolean appended;

        Pending(ThreadKey key, byte[] prefix, @Nullable ThreadRecord record) {
            this.key = key;
            this.prefix = prefix;
            this.record = record;
        }

        @Nullable EventRecord find(UUID id) {
            EventRecord e = added.get(id);
            if (e != null || purged) {
                return e;
            }
            return db.call("looking up event " + id + " of " + key, () -> {
                byte[] version = db.db.get(db.ids, LocalFormat.idKey(prefix, id));
                if (version == null) {
                    return null;
                }
                long v = LocalFormat.decodeLong(version);
                byte[] value = db.db.get(db.events, LocalFormat.versionKey(prefix, v));
                return value == null ? null : LocalFormat.decodeEvent(key, v, value);
            });
        }
    }

    private record Outcome(AppendCommand command, @Nullable LogAppended result, @Nullable Throwable error) {
    }

    private final class Group {
        private final WriteBatch batch = new WriteBatch();
        private final LinkedHashMap<ThreadKey, Pending> touched = new LinkedHashMap<>();
        private final List<Outcome> outcomes = new ArrayList<>();

        void add(AppendCommand command) throws RocksDBException {
            LogAppend append = command.append;
            Pending p = touched.get(append.key());
            if (p == null) {
                byte[] prefix = LocalFormat.prefix(append.key());
                ThreadRecord committed;
                try {
                    committed = committed(append.key(), prefix);
                } catch (RuntimeException e) {
                    outcomes.add(new Outcome(command, null, e));
                    return;
                }
                p = new Pending(append.key(), prefix, committed);
                touched.put(append.key(), p);
            }
            if (p.record != null && p.record.isExpiredAt(append.nowMillis())) {
                // an expired thread counts as absent: its old data goes in this same batch, before the new events
                purge(batch, p.prefix);
                p.record = null;
                p.purged = true;
                p.changed = true;
                p.added.clear();
            }
            long head = p.record == null ? 0 : p.record.version();
            LogAppended duplicate;
            try {
                duplicate = AppendRules.decide(append, head, p::find);
            } catch (RuntimeException e) {
                outcomes.add(new Outcome(command, null, e));
                return;
            }
            if (duplicate != null) {
                outcomes.add(new Outcome(command, duplicate, null));
                return;
            }
            long v = head;
            for (EventRecord e : append.events()) {
                EventRecord stored = e.withVersion(++v);
                batch.put(db.events, LocalFormat.versionKey(p.prefix, v), LocalFormat.encodeEvent(stored));
                batch.put(db.ids, LocalFormat.idKey(p.prefix, stored.eventId()), LocalFormat.encodeLong(v));
                p.added.put(stored.eventId(), stored);
            }
            p.record = ThreadRecords.afterAppend(p.record, append, v);
            p.changed = true;
            p.appended = true;
            outcomes.add(new Outcome(command, new LogAppended(head + 1, v, false, p.record.generation()), null));
        }

        /** One write for the whole group, then the new heads, then the answers. */
        void commit() {
            try {
                for (Pending p : touched.values()) {
                    if (p.changed && p.record != null) {
                        batch.put(db.threads, p.prefix, LocalFormat.encodeRecord(p.record));
                    }
                }
                if (batch.count() > 0) {
                    write(batch);
                }
            } catch (RocksDBException | RuntimeException e) {
                fail(e instanceof RocksDBException r ? LocalErrors.translate(r, "writing a group commit") : e);
                return;
            } finally {
                batch.close();
            }
            for (Pending p : touched.values()) {
                cache.put(p.key, Optional.ofNullable(p.record));
            }
            // heads first: a caller that sees its acknowledgement and then watches never gets a stale hint later
            for (Pending p : touched.values()) {
                if (p.appended && p.record != null) {
                    feed.publish(p.key, p.record.version());
                }
            }
            for (Outcome o : outcomes) {
                if (o.error != null) {
                    o.command.fail(o.error);
                } else {
                    o.command.succeed(o.result);
                }
            }
        }

        /** {@code failed} broke the batch while being added: nothing of the group is written. */
        void abort(AppendCommand failed, Throwable error) {
            batch.close();
            fail(error);
            failed.fail(error);
        }

        /** Nothing was written: the group's rejections stand, every other append fails with {@code error}. */
        private void fail(Throwable error) {
            for (Outcome o : outcomes) {
                o.command.fail(o.error != null ? o.error : error);
            }
        }
    }

    // ---- commands

    private abstract static class Command {
        private boolean completed;

        abstract void onError(Throwable error);

        final void fail(Throwable error) {
            if (!completed) {
                completed = true;
                onError(error);
            }
        }

        final boolean complete() {
            boolean first = !completed;
            completed = true;
            return first;
        }
    }

    private static final Command WAKE = new Command() {
        @Override
        void onError(Throwable error) {
        }
    };

    private static final class AppendCommand extends Command {
        final LogAppend append;
        final MonoSink<LogAppended> sink;

        AppendCommand(LogAppend append, MonoSink<LogAppended> sink) {
            this.append = append;
            this.sink = sink;
        }

        void succeed(@Nullable LogAppended result) {
            if (complete() && result != null) {
                sink.success(result);
            }
        }

        @Override
        void onError(Throwable error) {
            sink.error(error);
        }
    }

    private final class Task<T> extends Command {
        final String what;
        final MonoSink<T> sink;
        final LocalDb.Call<@Nullable T> work;

        Task(String what, MonoSink<T> sink, LocalDb.Call<@Nullable T> work) {
            this.what = what;
            this.sink = sink;
            this.work = work;
        }

        void execute() {
            T result;
            try {
                result = db.call(what, work);
            } catch (RuntimeException e) {
                fail(e);
                return;
            }
            if (complete()) {
                sink.success(result);
            }
        }

        @Override
        void onError(Throwable error) {
            sink.error(error);
        }
    }
}
