package dev.engram.tck;

import dev.engram.core.ThreadHandle;
import dev.engram.core.config.CheckpointPolicy;
import dev.engram.core.model.AppendBatch;
import dev.engram.core.model.Appended;
import dev.engram.core.model.Change;
import dev.engram.core.model.Event;
import dev.engram.core.model.Message;
import dev.engram.core.model.NewEvent;
import dev.engram.core.model.ThreadKey;
import dev.engram.core.model.ThreadState;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import java.util.stream.LongStream;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/** Helpers shared by the kit's scenarios. */
final class Kits {

    /** How long a step that waits on a backend may take before the test fails. */
    static final Duration TIMEOUT = Duration.ofSeconds(20);
    /** How often {@link #eventually} probes. */
    static final Duration POLL = Duration.ofMillis(20);
    /** No checkpoints by policy: tests that count checkpoints take them by hand. */
    static final CheckpointPolicy MANUAL_CHECKPOINTS = new CheckpointPolicy(0, 0, 100, false);

    private Kits() {
    }

    /** Probes until {@code done} holds for what {@code probe} emits; errors with an {@link AssertionError} after {@code within}. */
    static <T> Mono<T> eventually(Mono<T> probe, Predicate<? super T> done, Duration within, String what) {
        return Flux.interval(Duration.ZERO, POLL)
                .onBackpressureDrop()
                .concatMap(tick -> probe, 1)
                .filter(done)
                .next()
                .timeout(within, Mono.error(() -> new AssertionError("not within " + within + ": " + what)));
    }

    /** Blocks until {@link #eventually} succeeds; for the setup steps of a scenario. */
    static <T> T await(Mono<T> probe, Predicate<? super T> done, String what) {
        return eventually(probe, done, TIMEOUT, what).block(TIMEOUT.plusSeconds(5));
    }

    static Change msg(String content) {
        return Change.message(Message.user(content));
    }

    /** A varied change for position {@code i}: messages, value sets and removals, custom events, compactions. */
    static Change mixed(int i) {
        return switch (i % 7) {
            case 0, 3 -> msg("user turn " + i);
            case 1 -> Change.message(Message.assistant("answer " + i).withAttributes(Map.of("tokens", i, "tools", List.of("search", i))));
            case 2 -> Change.set(Map.of("counter", i, "step" + (i % 3), "s" + i));
            case 4 -> Change.custom("app.note", ("note " + i).getBytes(StandardCharsets.UTF_8));
            case 5 -> i > 10 ? Change.compact(i - 4, Message.system("summary up to " + (i - 4))) : Change.remove("step" + (i % 3));
            default -> Change.message(Message.tool("result " + i, "call-" + i));
        };
    }

    /** Appends {@code changes} one append each, in order; emits the last result. */
    static Mono<Appended> appendEach(ThreadHandle thread, List<Change> changes) {
        return Flux.fromIterable(changes).concatMap(thread::append).last();
    }

    /** Appends {@code n} user messages, one append each, and blocks until all are acknowledged. */
    static Appended appendMessages(ThreadHandle thread, int n) {
        List<Change> changes = new ArrayList<>();
        for (int i = 1; i <= n; i++) {
            changes.add(msg("message " + i));
        }
        return appendEach(thread, changes).block(TIMEOUT);
    }

    /** Appends {@code mixed(from..from+n-1)}, one append each, and blocks until all are acknowledged. */
    static Appended appendMixed(ThreadHandle thread, int from, int n) {
        List<Change> changes = new ArrayList<>();
        for (int i = from; i < from + n; i++) {
            changes.add(mixed(i));
        }
        return appendEach(thread, changes).block(TIMEOUT);
    }

    /** One new message event, for appends with an expectation. */
    static List<NewEvent> one(String content) {
        return List.of(NewEvent.of(msg(content)));
    }

    static AppendBatch batch(List<NewEvent> events) {
        return AppendBatch.of(events);
    }

    static List<NewEvent> newEvents(int n, String prefix) {
        List<NewEvent> out = new ArrayList<>();
        for (int i = 1; i <= n; i++) {
            out.add(NewEvent.of(msg(prefix + " " + i)));
        }
        return out;
    }

    /** Folds {@code events} from the empty state, independently of the engine's checkpoints and cache. */
    static ThreadState fold(ThreadKey key, List<Event> events) {
        ThreadState s = ThreadState.empty(key);
        for (Event e : events) {
            s = s.apply(e);
        }
        return s;
    }

    /** The thread's whole log, blocking. */
    static List<Event> log(ThreadHandle thread) {
        return thread.events(1).collectList().block(TIMEOUT);
    }

    static List<Long> versions(List<Event> events) {
        return events.stream().map(Event::version).toList();
    }

    static List<Long> range(long fromInclusive, long toInclusive) {
        return LongStream.rangeClosed(fromInclusive, toInclusive).boxed().toList();
    }

    static List<String> contents(ThreadState state) {
        return state.messages().stream().map(Message::content).toList();
    }
}
