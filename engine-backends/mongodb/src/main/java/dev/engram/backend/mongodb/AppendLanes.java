package dev.engram.backend.mongodb;

import dev.engram.core.model.ThreadKey;
import dev.engram.core.spi.EventRecord;
import dev.engram.core.spi.LogAppend;
import dev.engram.core.spi.LogAppended;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BiFunction;
import reactor.core.publisher.Mono;
import reactor.core.publisher.MonoSink;

/**
 * Group commit per thread: this process's appends to one thread wait in a lane while one group is being written, and
 * the next group takes every append that waited (up to {@link #MAX_EVENTS} events and {@link #MAX_BYTES}). A group is
 * one commit, so N local writers of a thread cost one write instead of N racing on the index, which still orders
 * writers of different processes. Lanes of different threads run concurrently; an idle thread has no lane.
 */
final class AppendLanes {

    static final int MAX_EVENTS = 1000;
    static final long MAX_BYTES = 4L * 1024 * 1024;

    /** Writes one group; emits one outcome per append, in order: a {@link LogAppended} or the exception for that append. */
    interface GroupWriter extends BiFunction<ThreadKey, List<LogAppend>, Mono<List<Object>>> {
    }

    private static final class Pending {
        final LogAppend append;
        final MonoSink<LogAppended> sink;
        volatile boolean cancelled;

        Pending(LogAppend append, MonoSink<LogAppended> sink) {
            this.append = append;
            this.sink = sink;
        }

        long bytes() {
            long b = 0;
            for (EventRecord e : append.events()) {
                b += e.data().length;
            }
            return b;
        }
    }

    private static final class Lane {
        final ArrayDeque<Pending> queue = new ArrayDeque<>();
    }

    private final ConcurrentHashMap<ThreadKey, Lane> lanes = new ConcurrentHashMap<>();
    private final GroupWriter writer;

    AppendLanes(GroupWriter writer) {
        this.writer = writer;
    }

    Mono<LogAppended> submit(LogAppend append) {
        return Mono.create(sink -> {
            Pending p = new Pending(append, sink);
            sink.onCancel(() -> p.cancelled = true);
            boolean[] first = {false};
            lanes.compute(append.key(), (k, lane) -> {
                if (lane == null) {
                    lane = new Lane();
                    first[0] = true;
                }
                lane.queue.add(p);
                return lane;
            });
            if (first[0]) {
                drain(append.key());
            }
        });
    }

    /** Writes the next group of the lane, then the one after, until the lane is empty and goes away. */
    private void drain(ThreadKey key) {
        List<Pending> group = new ArrayList<>();
        lanes.computeIfPresent(key, (k, lane) -> {
            long events = 0;
            long bytes = 0;
            while (!lane.queue.isEmpty()) {
                Pending next = lane.queue.peek();
                if (next.cancelled) {
                    lane.queue.poll();
                    continue;
                }
                long b = next.bytes();
                if (!group.isEmpty() && (events + next.append.events().size() > MAX_EVENTS || bytes + b > MAX_BYTES)) {
                    break;
                }
                group.add(lane.queue.poll());
                events += next.append.events().size();
                bytes += b;
            }
            return group.isEmpty() ? null : lane;
        });
        if (group.isEmpty()) {
            return;
        }
        List<LogAppend> appends = new ArrayList<>(group.size());
        group.forEach(p -> appends.add(p.append));
        writer.apply(key, appends).subscribe(outcomes -> {
            for (int i = 0; i < group.size(); i++) {
                Object o = outcomes.get(i);
                if (o instanceof LogAppended r) {
                    group.get(i).sink.success(r);
                } else {
                    group.get(i).sink.error((Throwable) o);
                }
            }
        }, e -> {
            group.forEach(p -> p.sink.error(e));
            drain(key);
        }, () -> drain(key));
    }
}
