package dev.engram.core.extraction;

import dev.engram.core.BackendUnavailableException;
import dev.engram.core.InvalidInputException;
import dev.engram.core.ModelUnavailableException;
import dev.engram.core.NotFoundException;
import dev.engram.core.config.ExtractionSettings;
import dev.engram.core.internal.Ids;
import dev.engram.core.memory.FactExtractor;
import dev.engram.core.memory.MemoryStore;
import dev.engram.core.model.ThreadKey;
import dev.engram.core.spi.EventLog;
import dev.engram.core.spi.MemoryStorage;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.atomic.LongAdder;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.Disposable;
import reactor.core.Disposables;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;
import reactor.core.scheduler.Schedulers;

/**
 * The background extraction pipeline. The append path only calls {@link #appended}, which offers the thread to a
 * bounded, de-duplicating queue and returns. Up to {@code workers} extractions run at once, one per user at a time;
 * each reads the thread's turns after its mark in batches of {@code maxTurnsPerCall}, asks the extractor with the
 * user's most relevant known facts, applies the decisions and only then moves the mark — so a crash in between
 * re-applies idempotent decisions, and no turn is lost or counted twice.
 *
 * <p>Transient failures (a rate limit, a timeout, an API that is down) are retried with exponential backoff from
 * {@code initialBackoff} to {@code maxBackoff}, at most {@code maxAttempts} times per step; after that the thread is
 * put back and tried again {@code maxBackoff} later. A failure that is not transient (a refused request, an answer
 * that cannot be read) is counted and logged; the thread's mark stays, and its next append or a {@link #catchUp}
 * tries again. An offer to a full queue is retried with the same backoff and, when the queue stays full, dropped
 * (counted): the thread's mark is behind, so its next append or a catch-up extracts it.
 *
 * <p>Public only so {@link dev.engram.core.Engram} can build it; not an API.
 */
public final class ExtractionPipeline implements Extraction {

    private static final Logger log = LoggerFactory.getLogger(ExtractionPipeline.class);
    private final ExtractionSettings settings;
    private final ThreadExtraction work;

    private final LongAdder queuedCount = new LongAdder();
    private final LongAdder failures = new LongAdder();
    private final LongAdder queueFull = new LongAdder();
    private final LongAdder dropped = new LongAdder();

    // Scheduling state, all guarded by `lock`. The critical sections are a few set operations: the append path's
    // share of extraction is one of them.
    private final Object lock = new Object();
    private final ArrayDeque<ThreadKey> queue = new ArrayDeque<>();
    private final Set<ThreadKey> queued = new HashSet<>();
    private final Set<ThreadKey> running = new HashSet<>();
    /** Threads appended to while their extraction ran: it runs once more afterwards. */
    private final Set<ThreadKey> again = new HashSet<>();
    private final Set<ThreadKey> resets = new HashSet<>();
    private final Map<ThreadKey, List<Sinks.Empty<Void>>> waiters = new HashMap<>();
    private final Set<UserRef> busyUsers = new HashSet<>();
    /** Threads that found their user busy, by user; one is put back at the front of the queue each time the user is free. */
    private final Map<UserRef, ArrayDeque<ThreadKey>> parked = new HashMap<>();
    private final Set<ThreadKey> parkedKeys = new HashSet<>();
    private final Map<ThreadKey, Delayed> delayed = new HashMap<>();
    private final Set<Run> runs = new HashSet<>();
    private final List<Sinks.Empty<Void>> idleWaiters = new ArrayList<>();
    private boolean closed;

    /**
     * @param store   the memory store the facts are written through (embedded and timestamped like any item)
     * @param storage the same store's backend storage: marks, and the scan that finds a thread's facts for {@link #reextract}
     * @param maxMemories {@code memory.maxMemories}: the cap of one search
     */
    public ExtractionPipeline(ExtractionSettings settings, FactExtractor extractor, MemoryStore store, MemoryStorage storage,
                              EventLog events, Clock clock, int maxMemories) {
        this.settings = Objects.requireNonNull(settings, "settings");
        this.work = new ThreadExtraction(settings, Objects.requireNonNull(extractor, "extractor"), Objects.requireNonNull(store, "store"),
                Objects.requireNonNull(storage, "storage"), Objects.requireNonNull(events, "events"), Objects.requireNonNull(clock, "clock"),
                maxMemories);
    }

    private record UserRef(String tenant, String user) {
    }

    /** A retry waiting for its delay: an offer to a full queue ({@code attempt} > 0) or a failed extraction put back. */
    private static final class Delayed {
        final int attempt;
        /** Disposed on close; a timer set after that is disposed at once. */
        final Disposable.Swap timer = Disposables.swap();

        Delayed(int attempt) {
            this.attempt = attempt;
        }
    }

    /** One extraction of one thread, from the queue to its end. */
    private static final class Run {
        final ThreadKey key;
        final Disposable.Swap subscription = Disposables.swap();
        /** Set under the lock once the run holds its user. */
        @Nullable UserRef user;
        boolean parked;
        /** The callers this run answers: those waiting when it took its user (later ones wait for the next run). */
        List<Sinks.Empty<Void>> waiters = List.of();

        Run(ThreadKey key) {
            this.key = key;
        }
    }

    // ---- the append path

    /**
     * Called after an append to {@code key} is acknowledged: offers the thread to the queue and returns. Never throws
     * and never waits; a full queue is retried in the background.
     */
    public void appended(ThreadKey key) {
        try {
            offer(key, false, 0);
        } catch (RuntimeException e) {
            log.warn("could not queue {} for fact extraction (its turns are safe in the log; the next append retries): {}", key, e.toString());
        }
    }

    private void offer(ThreadKey key, boolean explicit, int fullAttempts) {
        boolean full = false;
        synchronized (lock) {
            if (closed) {
                return;
            }
            if (running.contains(key)) {
                again.add(key);
                return;
            }
            if (queued.contains(key) || parkedKeys.contains(key)) {
                return;
            }
            Delayed d = delayed.get(key);
            if (d != null) {
                if (!explicit) {
                    return;
                }
                delayed.remove(key);
                d.timer.dispose();
            }
            if (!explicit && queue.size() + parkedKeys.size() >= settings.queueCapacity()) {
                full = true;
            } else {
                queue.add(key);
                queued.add(key);
            }
        }
        if (full) {
            queueFull.increment();
            retryOffer(key, fullAttempts + 1);
        } else {
            queuedCount.increment();
            drain();
        }
    }

    private void retryOffer(ThreadKey key, int attempt) {
        if (attempt > settings.maxAttempts()) {
            dropped.increment();
            log.warn("fact extraction queue stayed full ({} threads); {} is not queued: its next append or a catch-up extracts it",
                    settings.queueCapacity(), key);
            checkIdle();
            return;
        }
        if (attempt == 1) {
            log.warn("fact extraction queue is full ({} threads); retrying {} with backoff", settings.queueCapacity(), key);
        }
        later(key, backoff(attempt), attempt);
    }

    /** Offers {@code key} again after {@code delay}; {@code fullAttempts} > 0 counts the offers a full queue refused. */
    private void later(ThreadKey key, Duration delay, int fullAttempts) {
        Delayed d = new Delayed(fullAttempts);
        synchronized (lock) {
            if (closed || delayed.containsKey(key) || queued.contains(key) || parkedKeys.contains(key)) {
                return;
            }
            if (delayed.size() >= settings.queueCapacity()) {
                dropped.increment();
                log.warn("too many fact extraction retries waiting; {} is not retried: its next append or a catch-up extracts it", key);
                return;
            }
            delayed.put(key, d);
        }
        d.timer.update(Mono.delay(delay).subscribe(t -> {
            synchronized (lock) {
                if (delayed.get(key) != d) {
                    return;
                }
                delayed.remove(key);
            }
            offer(key, false, d.attempt);
            checkIdle();
        }));
    }

    private Duration backoff(int attempt) {
        return ThreadExtraction.backoff(settings, attempt);
    }

    // ---- explicit requests

    @Override
    public boolean enabled() {
        return true;
    }

    @Override
    public Mono<Void> catchUp(ThreadKey thread) {
        return request(thread, false);
    }

    @Override
    public Mono<Void> reextract(ThreadKey thread) {
        return request(thread, true);
    }

    private Mono<Void> request(ThreadKey thread, boolean reset) {
        Objects.requireNonNull(thread, "thread");
        return Mono.defer(() -> {
            Sinks.Empty<Void> done = Sinks.empty();
            synchronized (lock) {
                if (closed) {
                    return Mono.error(new BackendUnavailableException("the engine is closed"));
                }
                waiters.computeIfAbsent(thread, k -> new ArrayList<>()).add(done);
                if (reset) {
                    resets.add(thread);
                }
            }
            offer(thread, true, 0);
            return done.asMono();
        });
    }

    // ---- workers

    private void drain() {
        while (true) {
            Run run;
            synchronized (lock) {
                if (closed || running.size() >= settings.workers() || queue.isEmpty()) {
                    return;
                }
                ThreadKey key = queue.poll();
                queued.remove(key);
                running.add(key);
                run = new Run(key);
                runs.add(run);
            }
            // off the caller's thread: an append's subscriber must not run the first steps of an extraction
            run.subscription.update(execute(run)
                    .subscribeOn(Schedulers.parallel())
                    .subscribe(null, e -> finished(run, e), () -> finished(run, null)));
        }
    }

    private Mono<Void> execute(Run run) {
        ThreadKey key = run.key;
        return work.find(key)
                .flatMap(record -> {
                    String user = record.metadata().get(settings.userMetadataKey());
                    if (user == null) {
                        return Mono.error(new NoUser("thread " + key + " has no '" + settings.userMetadataKey()
                                + "' in its metadata: there is no user to extract facts for"));
                    }
                    if (!Ids.isValid(user)) {
                        return Mono.error(new NoUser("thread " + key + " names the user " + Ids.quote(user) + " under '"
                                + settings.userMetadataKey() + "', which is not " + Ids.RULE + " and cannot be a namespace"));
                    }
                    UserRef u = new UserRef(key.tenant(), user);
                    boolean reset;
                    synchronized (lock) {
                        if (closed) {
                            return Mono.empty();
                        }
                        if (busyUsers.contains(u)) {
                            park(run, u);
                            return Mono.empty();
                        }
                        busyUsers.add(u);
                        run.user = u;
                        List<Sinks.Empty<Void>> callers = waiters.remove(key);
                        run.waiters = callers == null ? List.of() : callers;
                        reset = resets.remove(key);
                    }
                    return work.extract(key, record, user, reset);
                });
    }

    /** Under the lock: the user has another extraction running; this thread waits for it without holding a worker. */
    private void park(Run run, UserRef user) {
        run.parked = true;
        running.remove(run.key);
        again.remove(run.key);
        parked.computeIfAbsent(user, u -> new ArrayDeque<>()).add(run.key);
        parkedKeys.add(run.key);
    }

    private void finished(Run run, @Nullable Throwable error) {
        ThreadKey key = run.key;
        List<Sinks.Empty<Void>> notify;
        boolean rerun;
        synchronized (lock) {
            runs.remove(run);
            if (closed) {
                return;
            }
            rerun = false;
            if (!run.parked) {
                running.remove(key);
                rerun = again.remove(key);
            }
            if (run.user != null) {
                busyUsers.remove(run.user);
                ArrayDeque<ThreadKey> waiting = parked.get(run.user);
                if (waiting != null) {
                    ThreadKey next = waiting.poll();
                    if (waiting.isEmpty()) {
                        parked.remove(run.user);
                    }
                    if (next != null) {
                        parkedKeys.remove(next);
                        queue.addFirst(next);
                        queued.add(next);
                    }
                }
            }
            if (run.user != null || run.parked) {
                notify = run.waiters;
            } else {
                // ended before taking a user (no user, no thread): answers everyone who asked, and forgets a reset asked for
                notify = waiters.remove(key);
                resets.remove(key);
            }
        }
        boolean retryLater = false;
        if (error instanceof NoUser || error instanceof NotFoundException) {
            // nothing to extract: no user, or a thread deleted since its append
            log.debug("{}", error.getMessage());
        } else if (error != null) {
            failures.increment();
            retryLater = isTransient(error);
            log.warn("fact extraction of {} failed{}: {}", key,
                    retryLater ? " (tried again in " + laterDelay(error).toMillis() + " ms)" : " (its next append or a catch-up tries again)",
                    error.getMessage());
        }
        if (notify != null) {
            Throwable shown = error instanceof NoUser nu ? new InvalidInputException(nu.getMessage()) : error;
            for (Sinks.Empty<Void> s : notify) {
                if (shown == null) {
                    s.tryEmitEmpty();
                } else {
                    s.tryEmitError(shown);
                }
            }
        }
        if (retryLater) {
            later(key, laterDelay(error), 0);
        } else if (rerun) {
            offer(key, false, 0);
        }
        drain();
        checkIdle();
    }

    private Duration laterDelay(Throwable error) {
        Duration asked = error instanceof ModelUnavailableException m ? m.retryAfter() : null;
        return asked != null && asked.compareTo(settings.maxBackoff()) > 0 ? asked : settings.maxBackoff();
    }

    private static boolean isTransient(Throwable e) {
        return ThreadExtraction.isTransient(e);
    }

    /** A thread without a (valid) user: nothing to do, and an error only for who asked explicitly. */
    private static final class NoUser extends RuntimeException {
        NoUser(String message) {
            super(message, null, false, false);
        }
    }

    // ---- state

    @Override
    public ExtractionStats stats() {
        int pending;
        int active;
        synchronized (lock) {
            pending = queue.size() + parkedKeys.size() + delayed.size();
            active = running.size();
        }
        FactWriter w = work.writer;
        return new ExtractionStats(queuedCount.sum(), work.calls.sum(), work.extractedTurns.sum(), w.added.sum(), w.updated.sum(),
                w.deleted.sum(), failures.sum(), work.retries.sum(), queueFull.sum(), dropped.sum(), pending, active);
    }

    @Override
    public Mono<Void> whenIdle() {
        return Mono.defer(() -> {
            Sinks.Empty<Void> s = Sinks.empty();
            synchronized (lock) {
                if (closed || isIdle()) {
                    return Mono.empty();
                }
                idleWaiters.add(s);
            }
            return s.asMono();
        });
    }

    private boolean isIdle() {
        return queue.isEmpty() && running.isEmpty() && parkedKeys.isEmpty() && delayed.isEmpty();
    }

    private void checkIdle() {
        List<Sinks.Empty<Void>> ready;
        synchronized (lock) {
            if (idleWaiters.isEmpty() || !isIdle()) {
                return;
            }
            ready = new ArrayList<>(idleWaiters);
            idleWaiters.clear();
        }
        ready.forEach(Sinks.Empty::tryEmitEmpty);
    }

    /**
     * Stops: running extractions are cancelled (their marks stay where the last finished batch put them, so the
     * next run repeats nothing that was applied), waiting retries are forgotten, and callers waiting on
     * {@link #catchUp} or {@link #reextract} get an error.
     */
    public Mono<Void> shutdown() {
        return Mono.fromRunnable(this::close);
    }

    private void close() {
        List<Run> stopping;
        List<Delayed> timers;
        List<Sinks.Empty<Void>> waiting = new ArrayList<>();
        List<Sinks.Empty<Void>> idle;
        synchronized (lock) {
            if (closed) {
                return;
            }
            closed = true;
            stopping = new ArrayList<>(runs);
            timers = new ArrayList<>(delayed.values());
            for (Run r : runs) {
                waiting.addAll(r.waiters);
            }
            waiters.values().forEach(waiting::addAll);
            idle = new ArrayList<>(idleWaiters);
            runs.clear();
            delayed.clear();
            waiters.clear();
            idleWaiters.clear();
            queue.clear();
            queued.clear();
            running.clear();
            again.clear();
            parked.clear();
            parkedKeys.clear();
            busyUsers.clear();
        }
        stopping.forEach(r -> r.subscription.dispose());
        timers.forEach(d -> d.timer.dispose());
        waiting.forEach(s -> s.tryEmitError(new BackendUnavailableException("the engine closed before the extraction finished")));
        idle.forEach(Sinks.Empty::tryEmitEmpty);
    }
}
