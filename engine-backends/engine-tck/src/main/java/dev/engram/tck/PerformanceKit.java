package dev.engram.tck;

import static dev.engram.tck.Kits.msg;
import static org.assertj.core.api.Assertions.assertThat;

import dev.engram.core.Engram;
import dev.engram.core.model.Appended;
import dev.engram.core.model.ThreadKey;
import dev.engram.core.model.ThreadState;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;
import reactor.core.scheduler.Schedulers;

/**
 * A fixed workload whose timing is reported, never asserted: machines differ, and a kit that fails on a slow CI
 * runner teaches people to ignore it. Only correctness is asserted.
 */
public interface PerformanceKit extends EngramKit {

    int THREADS = 20;
    int APPENDS_PER_THREAD = 100;

    @Test
    default void fixedWorkloadIsReported(EngramFixture fixture) {
        // no state cache, so the rehydrations below start cold
        Engram engram = fixture.open(c -> c.withCacheMaxThreads(0));
        List<ThreadKey> keys = Flux.range(0, THREADS).map(i -> fixture.newKey()).collectList().block();
        long start = System.nanoTime();
        List<Appended> appended = Flux.fromIterable(keys)
                .flatMap(key -> Flux.range(0, APPENDS_PER_THREAD)
                        .concatMap(i -> engram.thread(key).append(msg("turn " + i + " of a conversation that is about this long")))
                        .subscribeOn(Schedulers.parallel()), THREADS)
                .collectList().block(Duration.ofMinutes(2));
        long appendNanos = System.nanoTime() - start;

        start = System.nanoTime();
        List<ThreadState> states = Flux.fromIterable(keys).flatMap(key -> engram.thread(key).state(), 4).collectList().block(Duration.ofMinutes(2));
        long rehydrateNanos = System.nanoTime() - start;

        int total = THREADS * APPENDS_PER_THREAD;
        System.out.printf(Locale.ROOT, "[engram-tck] %s (%s): %d appends over %d threads in %.0f ms (%.0f appends/s); "
                        + "%d cold rehydrations of %d events in %.0f ms (%.1f ms each)%n",
                getClass().getSimpleName(), engram.provider(), total, THREADS, appendNanos / 1e6, total / (appendNanos / 1e9),
                THREADS, APPENDS_PER_THREAD, rehydrateNanos / 1e6, rehydrateNanos / 1e6 / THREADS);

        assertThat(appended).hasSize(total).allMatch(a -> !a.deduplicated());
        assertThat(states).hasSize(THREADS).allSatisfy(s -> {
            assertThat(s.version()).isEqualTo(APPENDS_PER_THREAD);
            assertThat(s.messages()).hasSize(APPENDS_PER_THREAD);
        });
    }
}
