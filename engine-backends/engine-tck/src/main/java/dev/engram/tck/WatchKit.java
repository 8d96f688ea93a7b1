package dev.engram.tck;

import static dev.engram.tck.Kits.TIMEOUT;
import static dev.engram.tck.Kits.appendMessages;
import static dev.engram.tck.Kits.log;
import static dev.engram.tck.Kits.msg;
import static dev.engram.tck.Kits.range;
import static dev.engram.tck.Kits.versions;
import static org.assertj.core.api.Assertions.assertThat;

import dev.engram.core.Engram;
import dev.engram.core.InvalidInputException;
import dev.engram.core.SubscriberOverflowException;
import dev.engram.core.ThreadHandle;
import dev.engram.core.config.WatchSettings;
import dev.engram.core.model.Event;
import dev.engram.core.model.ThreadUpdate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;
import reactor.test.StepVerifier;

/**
 * {@code watch(from)}: catch-up then live with no gap and no duplicate across the switch, backpressure, updates of
 * contiguous versions, and the cut-off of a subscriber that falls more than {@code watch.maxLag} behind.
 */
public interface WatchKit extends EngramKit {

    /** The versions a watch delivers, flattened, checking that each update is contiguous and follows the previous one. */
    static Flux<Long> versionsOf(Flux<ThreadUpdate> updates) {
        return updates.concatMapIterable(u -> {
            assertThat(versions(u.events())).as("an update carries contiguous versions")
                    .isEqualTo(range(u.firstVersion(), u.lastVersion()));
            return u.events();
        }).map(Event::version);
    }

    @Test
    default void catchUpThenLive(EngramFixture fixture) {
        ThreadHandle t = fixture.newThread(fixture.open());
        appendMessages(t, 5);
        versionsOf(t.watch(1)).as(StepVerifier::create)
                .expectNext(1L, 2L, 3L, 4L, 5L).as("the stored events first")
                .then(() -> appendMessages(t, 3))
                .expectNext(6L, 7L, 8L).as("then each append as it happens")
                .expectNoEvent(Duration.ofMillis(100)).as("and it does not complete")
                .thenCancel()
                .verify(TIMEOUT);
    }

    @Test
    default void watchFromAVersionStartsThere(EngramFixture fixture) {
        ThreadHandle t = fixture.newThread(fixture.open());
        appendMessages(t, 6);
        List<Event> stored = log(t);
        t.watch(4).concatMapIterable(ThreadUpdate::events).take(3).collectList().as(StepVerifier::create)
                .expectNext(stored.subList(3, 6)).as("watch(4) delivers the stored events 4..6, equal to events(4)")
                .expectComplete()
                .verify(TIMEOUT);
        versionsOf(t.watch(7)).as(StepVerifier::create)
                .then(() -> appendMessages(t, 1))
                .expectNext(7L).as("watch(head + 1) waits for the next append")
                .thenCancel()
                .verify(TIMEOUT);
        t.watch(0).as(StepVerifier::create).as("watch(0)").verifyError(InvalidInputException.class);
    }

    @Test
    default void watchBeforeTheThreadExistsReceivesTheFirstAppend(EngramFixture fixture) {
        ThreadHandle t = fixture.newThread(fixture.open());
        t.watch(1).as(StepVerifier::create)
                .expectSubscription()
                .then(() -> t.append(msg("first")).block(TIMEOUT))
                .assertNext(u -> {
                    assertThat(u.key()).isEqualTo(t.key());
                    assertThat(u.firstVersion()).isEqualTo(1);
                }).as("the first append arrives")
                .thenCancel()
                .verify(TIMEOUT);
    }

    @Test
    default void noGapNoDuplicateWithConcurrentWriters(EngramFixture fixture) {
        Engram engram = fixture.open(c -> c.withWatch(new WatchSettings(100_000, 16)));
        for (int round = 0; round < 8; round++) {
            ThreadHandle t = fixture.newThread(engram);
            int preloaded = 30;
            int writers = 16;
            int each = 30;
            long total = preloaded + (long) writers * each;
            appendMessages(t, preloaded);
            Mono<List<Long>> watched = versionsOf(t.watch(1)).takeUntil(v -> v >= total).collectList();
            Mono<Long> writes = Flux.range(0, writers)
                    .flatMap(w -> Flux.range(0, each).concatMap(i -> t.append(msg("w" + w + " " + i))).subscribeOn(Schedulers.parallel()))
                    .count();
            // alternate which starts first, so the switch from catch-up to live falls at different points
            Mono<List<Long>> both = round % 2 == 0
                    ? Mono.zip(watched.subscribeOn(Schedulers.parallel()), writes).map(r -> r.getT1())
                    : Mono.zip(writes.subscribeOn(Schedulers.parallel()), watched).map(r -> r.getT2());
            int r = round;
            both.as(StepVerifier::create)
                    .assertNext(v -> assertThat(v).as("round %d: exactly versions 1..%d in order", r, total).isEqualTo(range(1, total)))
                    .expectComplete()
                    .verify(TIMEOUT);
        }
    }

    @Test
    default void backpressureDeliversOneUpdatePerRequest(EngramFixture fixture) {
        ThreadHandle t = fixture.newThread(fixture.open(c -> c.withWatch(new WatchSettings(1000, 2))));
        appendMessages(t, 6);
        StepVerifier.create(t.watch(1), 0)
                .expectSubscription()
                // StepVerifier fails on any update beyond what was requested, so waiting here checks that none comes
                .thenAwait(Duration.ofMillis(100))
                .thenRequest(1)
                .assertNext(u -> assertThat(versions(u.events())).containsExactly(1L, 2L)).as("a page of watch.batchSize events per update")
                .thenAwait(Duration.ofMillis(50))
                .thenRequest(1)
                .assertNext(u -> assertThat(versions(u.events())).containsExactly(3L, 4L))
                .thenRequest(1)
                .assertNext(u -> assertThat(versions(u.events())).containsExactly(5L, 6L))
                .then(() -> appendMessages(t, 1))
                .thenAwait(Duration.ofMillis(50))
                .thenRequest(1)
                .assertNext(u -> assertThat(versions(u.events())).containsExactly(7L)).as("and is delivered on request")
                .thenCancel()
                .verify(TIMEOUT);
    }

    @Test
    default void aSubscriberWithoutDemandIsCutOffWhenTooFarBehind(EngramFixture fixture) {
        ThreadHandle t = fixture.newThread(fixture.open(c -> c.withWatch(new WatchSettings(5, 256))));
        StepVerifier.create(t.watch(1), 0)
                .expectSubscription()
                .then(() -> appendMessages(t, 12))
                .expectErrorSatisfies(e -> assertThat(e).as("more than maxLag (5) events behind with no demand").isInstanceOfSatisfying(SubscriberOverflowException.class, o -> {
                    assertThat(o.key()).isEqualTo(t.key());
                    assertThat(o.resumeFrom()).as("it received nothing, so it resumes from 1").isEqualTo(1);
                }))
                .verify(TIMEOUT);
    }

    @Test
    default void aCutOffSubscriberResumesWithoutLoss(EngramFixture fixture) {
        ThreadHandle t = fixture.newThread(fixture.open(c -> c.withWatch(new WatchSettings(5, 256))));
        appendMessages(t, 2);
        List<Long> received = new ArrayList<>();
        long[] resumeFrom = new long[1];
        StepVerifier.create(t.watch(1).doOnNext(u -> received.addAll(versions(u.events()))), 0)
                .expectSubscription()
                .thenRequest(1)
                .assertNext(u -> assertThat(versions(u.events())).containsExactly(1L, 2L)).as("it takes the one update it asked for")
                .then(() -> appendMessages(t, 10))
                .expectErrorSatisfies(e -> assertThat(e).as("then stops asking and falls behind")
                        .isInstanceOfSatisfying(SubscriberOverflowException.class, o -> resumeFrom[0] = o.resumeFrom()))
                .verify(TIMEOUT);
        assertThat(resumeFrom[0]).as("resumeFrom is the first version it has not received").isEqualTo(3);
        versionsOf(t.watch(resumeFrom[0])).take(10).doOnNext(received::add).then().as(StepVerifier::create)
                .expectComplete()
                .verify(TIMEOUT);
        assertThat(received).as("resuming from resumeFrom loses nothing and repeats nothing").isEqualTo(range(1, 12));
    }

    @Test
    default void twoSubscribersEachGetEverything(EngramFixture fixture) {
        ThreadHandle t = fixture.newThread(fixture.open());
        appendMessages(t, 3);
        Mono<List<Long>> first = versionsOf(t.watch(1)).take(20).collectList();
        Mono<List<Long>> second = versionsOf(t.watch(2)).take(19).collectList();
        Mono.zip(first, second, Mono.fromRunnable(() -> appendMessages(t, 17)).subscribeOn(Schedulers.boundedElastic()).thenReturn(true))
                .as(StepVerifier::create)
                .assertNext(r -> {
                    assertThat(r.getT1()).isEqualTo(range(1, 20));
                    assertThat(r.getT2()).isEqualTo(range(2, 20));
                }).as("each subscriber gets every version from where it started")
                .expectComplete()
                .verify(TIMEOUT);
    }
}
