package dev.engram.core.spi.support;

import dev.engram.core.BackendUnavailableException;
import dev.engram.core.spi.EventRecord;
import dev.engram.core.spi.LogAppend;
import dev.engram.core.spi.LogAppended;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import reactor.core.publisher.Mono;
import reactor.core.publisher.MonoSink;
import reactor.core.publisher.Sinks;

/**
 * Group commit of appends to any threads, for backends whose one write can carry many appends. An append is written at
 * once while fewer than {@code maxInFlight} writes are running; otherwise it waits, and the next write to start takes
 * every waiting append (up to {@code maxAppends} and {@code maxBytes} of event data). Under light load that is a
 * write of one with no added latency; under heavy load the writes grow instead of the queue of round trips.
 *
 * <p>What waits is the backend's own form of an append ({@code T}), prepared by the caller's thread, so that the thread
 * that starts a write (often the driver's I/O thread, where the previous write completed) only puts parts together.
 * The writer decides each append on its own and answers one outcome per append, in order: an {@code R} (for a whole
 * append under the rules of {@link LogAppend}, a {@link LogAppended}), or the exception for that append alone. A
 * writer that fails as a whole fails every append of that write.
 *
 * @param <T> an append as the backend prepared it
 * @param <R> the outcome of one append
 */
public final class GroupCommit<T, R> {

    /** Writes one group; emits one outcome per append, in order: an {@code R} or a {@link Throwable}. */
    @FunctionalInterface
    public interface Writer<T> {
        Mono<List<Object>> write(List<T> group);
    }

    private record Pending<T, R>(T append, MonoSink<R> sink, long bytes, Object subject) {
    }

    private final Writer<T> writer;
    private final int maxAppends;
    private final long maxBytes;
    private final int maxInFlight;
    private final String backend;
    private final Queue<Pending<T, R>> queue = new ConcurrentLinkedQueue<>();
    private final AtomicInteger wip = new AtomicInteger();
    private final AtomicInteger inFlight = new AtomicInteger();
    private final Sinks.Empty<Void> drained = Sinks.empty();
    private volatile boolean closed;

    /**
     * @param backend     the backend's name, for errors
     * @param maxAppends  appends per write, at least 1
     * @param maxBytes    event bytes per write (one larger append still goes alone)
     * @param maxInFlight writes running at once, at least 1
     */
    public GroupCommit(String backend, int maxAppends, long maxBytes, int maxInFlight, Writer<T> writer) {
        if (maxAppends < 1 || maxInFlight < 1 || maxBytes < 1) {
            throw new IllegalArgumentException("maxAppends, maxBytes and maxInFlight must be positive");
        }
        this.backend = Objects.requireNonNull(backend, "backend");
        this.writer = Objects.requireNonNull(writer, "writer");
        this.maxAppends = maxAppends;
        this.maxBytes = maxBytes;
        this.maxInFlight = maxInFlight;
    }

    /**
     * Queues an append; emits its outcome once the write that carried it answered.
     *
     * @param prepared the backend's form of the append, handed to the writer
     * @param bytes    its size against {@code maxBytes}, see {@link #eventBytes}
     * @param subject  what it writes to (a thread), for errors
     */
    public Mono<R> submit(T prepared, long bytes, Object subject) {
        return Mono.create(sink -> {
            if (closed) {
                sink.error(new BackendUnavailableException("the " + backend + " backend is closed"));
                return;
            }
            queue.add(new Pending<>(prepared, sink, bytes, subject));
            drain();
        });
    }

    /** The event data an append carries: its size against {@code maxBytes}. */
    public static long eventBytes(LogAppend append) {
        long bytes = 0;
        for (EventRecord e : append.events()) {
            bytes += e.data().length;
        }
        return bytes;
    }

    /** Stops taking appends; completes when those already taken are answered. */
    public Mono<Void> close() {
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
                List<Pending<T, R>> group = take();
                inFlight.incrementAndGet();
                write(group).subscribe();
            }
            if (closed && queue.isEmpty() && inFlight.get() == 0) {
                drained.tryEmitEmpty();
            }
            missed = wip.addAndGet(-missed);
        } while (missed != 0);
    }

    private List<Pending<T, R>> take() {
        List<Pending<T, R>> group = new ArrayList<>();
        long bytes = 0;
        Pending<T, R> next;
        while (group.size() < maxAppends && (next = queue.peek()) != null && (group.isEmpty() || bytes + next.bytes <= maxBytes)) {
            group.add(queue.poll());
            bytes += next.bytes;
        }
        return group;
    }

    /**
     * Runs one write. Its slot is given back as soon as the write answered, before its appends are: the next write is
     * then on its way while this thread hands the outcomes to their callers, instead of after.
     */
    private Mono<Void> write(List<Pending<T, R>> group) {
        List<T> appends = new ArrayList<>(group.size());
        group.forEach(p -> appends.add(p.append));
        AtomicBoolean running = new AtomicBoolean(true);
        Runnable release = () -> {
            if (running.compareAndSet(true, false)) {
                inFlight.decrementAndGet();
                drain();
            }
        };
        return Mono.defer(() -> writer.write(appends))
                .defaultIfEmpty(List.of())
                .doOnNext(outcomes -> {
                    release.run();
                    answer(group, outcomes);
                })
                .doOnError(e -> {
                    release.run();
                    group.forEach(p -> p.sink.error(e));
                })
                .onErrorResume(e -> Mono.empty())
                .doFinally(signal -> release.run())
                .then();
    }

    @SuppressWarnings("unchecked")
    private void answer(List<Pending<T, R>> group, List<Object> outcomes) {
        for (int i = 0; i < group.size(); i++) {
            Object o = i < outcomes.size() ? outcomes.get(i) : null;
            if (o instanceof Throwable t) {
                group.get(i).sink.error(t);
            } else if (o != null) {
                group.get(i).sink.success((R) o);
            } else {
                group.get(i).sink.error(new BackendUnavailableException("the " + backend + " backend gave no outcome for an append to "
                        + group.get(i).subject));
            }
        }
    }
}
