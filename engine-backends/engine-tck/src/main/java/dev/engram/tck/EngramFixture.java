package dev.engram.tck;

import dev.engram.core.Engram;
import dev.engram.core.ThreadHandle;
import dev.engram.core.config.EngramConfig;
import dev.engram.core.model.ThreadKey;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.UnaryOperator;

/**
 * What a kit test works with: engines opened on the test's own storage, and unique names. Every engine opened here is
 * closed after the test, then the storage is released.
 */
public final class EngramFixture implements AutoCloseable {

    private final TestStorage storage;
    private final String run = Long.toString(ThreadLocalRandom.current().nextLong() & Long.MAX_VALUE, 36);
    private final AtomicInteger counter = new AtomicInteger();
    private final List<Engram> engines = new ArrayList<>();
    private final boolean concurrentEngines;

    /** @param concurrentEngines whether the test may have several engines open at once (only where storage is shared) */
    EngramFixture(TestStorage storage, boolean concurrentEngines) {
        this.storage = storage;
        this.concurrentEngines = concurrentEngines;
    }

    /** Opens an engine on this test's storage with the backend's configuration. */
    public Engram open() {
        return open(UnaryOperator.identity());
    }

    /**
     * Opens an engine on this test's storage with the backend's configuration changed by {@code tweak} (checkpoint
     * policy, watch settings, limits, cache, TTL). Provider selection is strict, so a missing provider fails the test
     * instead of silently running the kit against the fallback. Only {@link SharedStorageKit} tests may open a
     * second engine while one is open: other backends (one process per data directory) need not allow it.
     */
    public Engram open(UnaryOperator<EngramConfig> tweak) {
        return open(tweak, UnaryOperator.identity());
    }

    /**
     * Like {@link #open(UnaryOperator)}, with parts of the test's choosing set on the engine's builder (an
     * {@link dev.engram.core.memory.Embedder}, a clock).
     */
    public Engram open(UnaryOperator<EngramConfig> tweak, UnaryOperator<Engram.Builder> parts) {
        EngramConfig config = tweak.apply(storage.config()).withStrict(true);
        synchronized (engines) {
            if (!concurrentEngines && !engines.isEmpty()) {
                throw new AssertionError("kit bug: only SharedStorageKit tests may open a second engine while one is open; use reopen()");
            }
        }
        Engram engram = parts.apply(Engram.builder(config)).open();
        synchronized (engines) {
            engines.add(engram);
        }
        if (!engram.provider().equals(config.provider())) {
            throw new AssertionError("asked for provider '" + config.provider() + "', got '" + engram.provider() + "'");
        }
        return engram;
    }

    /**
     * Closes {@code engram} (waiting for it to finish) and opens a new engine on the same storage with {@code tweak}.
     * What was written survives only on backends that are {@code DURABLE} or {@code SHARED_STORAGE}.
     */
    public Engram reopen(Engram engram, UnaryOperator<EngramConfig> tweak) {
        close(engram);
        return open(tweak);
    }

    /** Like {@link #reopen(Engram, UnaryOperator)}, with parts set on the new engine's builder. */
    public Engram reopen(Engram engram, UnaryOperator<EngramConfig> tweak, UnaryOperator<Engram.Builder> parts) {
        close(engram);
        return open(tweak, parts);
    }

    /** Closes {@code engram} now, as a process would on shutdown. */
    public void close(Engram engram) {
        synchronized (engines) {
            engines.remove(engram);
        }
        engram.close();
    }

    /** A thread id no other test and no other call of this test uses. */
    public String newThreadId() {
        return "t-" + run + "-" + counter.incrementAndGet();
    }

    /** A tenant no other test uses, for listings. */
    public String newTenant() {
        return "tenant-" + run + "-" + counter.incrementAndGet();
    }

    /** A key in the default tenant with a fresh thread id. */
    public ThreadKey newKey() {
        return ThreadKey.of(newThreadId());
    }

    /** A handle on a fresh thread of {@code engram}. */
    public ThreadHandle newThread(Engram engram) {
        return engram.thread(newKey());
    }

    @Override
    public void close() throws Exception {
        List<Engram> toClose;
        synchronized (engines) {
            toClose = new ArrayList<>(engines);
            engines.clear();
        }
        Throwable failure = null;
        for (Engram e : toClose) {
            try {
                e.close();
            } catch (RuntimeException ex) {
                failure = ex;
            }
        }
        storage.release().close();
        if (failure != null) {
            throw new AssertionError("an engine did not close cleanly", failure);
        }
    }

    @Override
    public String toString() {
        return "EngramFixture[" + Objects.toString(storage.config().provider()) + ", run " + run + "]";
    }
}
