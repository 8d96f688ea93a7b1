package dev.engram.tck;

import static dev.engram.tck.Kits.MANUAL_CHECKPOINTS;
import static dev.engram.tck.Kits.TIMEOUT;
import static dev.engram.tck.Kits.fold;
import static dev.engram.tck.Kits.log;
import static dev.engram.tck.Kits.msg;
import static org.assertj.core.api.Assertions.assertThat;

import dev.engram.core.Engram;
import dev.engram.core.ThreadHandle;
import dev.engram.core.model.AppendBatch;
import dev.engram.core.model.Appended;
import dev.engram.core.model.ExpectedVersion;
import dev.engram.core.model.Page;
import dev.engram.core.model.ThreadInfo;
import dev.engram.core.model.ThreadKey;
import dev.engram.core.model.ThreadQuery;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.test.StepVerifier;

/**
 * Thread TTL: an expired thread is absent to every read before any sweeper runs, and each write refreshes the expiry.
 * TTLs are short and real (remote backends expire by their own clock); tests poll with a bound instead of sleeping.
 */
public interface TtlKit extends EngramKit {

    /** A TTL short enough to wait out in a test. */
    Duration SHORT_TTL = Duration.ofMillis(300);
    /** How long after its TTL a thread may still be seen (clock skew between the test and a remote backend). */
    Duration EXPIRY_BOUND = Duration.ofSeconds(10);

    @Test
    default void anExpiredThreadIsInvisible(EngramFixture fixture) {
        Engram engram = fixture.open(c -> c.withCheckpoints(MANUAL_CHECKPOINTS));
        String tenant = fixture.newTenant();
        ThreadHandle t = engram.thread(ThreadKey.of(tenant, fixture.newThreadId()));
        ThreadHandle keeper = engram.thread(ThreadKey.of(tenant, fixture.newThreadId()));
        keeper.append(msg("no ttl")).block(TIMEOUT);
        Instant before = Instant.now();
        t.append(AppendBatch.ofChanges(List.of(msg("short-lived"), msg("gone soon"))).ttl(SHORT_TTL).metadata(Map.of("ttl", "yes")))
                .block(TIMEOUT);
        t.checkpoint().block(TIMEOUT);
        t.state().block(TIMEOUT);
        t.info().map(ThreadInfo::expiresAt).as(StepVerifier::create)
                .assertNext(at -> assertThat(at).isAfter(before.minusSeconds(5)).isBefore(before.plus(SHORT_TTL).plusSeconds(5)))
                .as("info() shows when it expires").verifyComplete();

        Kits.eventually(t.info().hasElement(), exists -> !exists, EXPIRY_BOUND, "the thread expires").as(StepVerifier::create)
                .expectNext(false).as("info() is empty once expired").verifyComplete();
        t.state().as(StepVerifier::create).as("no state, even though it was cached and checkpointed").verifyComplete();
        t.stateAt(1).as(StepVerifier::create).as("no past").verifyComplete();
        t.events(1).as(StepVerifier::create).as("no events").verifyComplete();
        t.checkpoints().as(StepVerifier::create).as("no checkpoints").verifyComplete();
        engram.threads(ThreadQuery.of(tenant)).map(p -> p.items().stream().map(ThreadInfo::key).toList()).as(StepVerifier::create)
                .expectNext(List.of(keeper.key())).as("not listed; the thread without a TTL is").verifyComplete();
        engram.threads(ThreadQuery.of(tenant).withMetadata("ttl", "yes")).map(Page::items).as(StepVerifier::create)
                .expectNext(List.of()).as("not found by its metadata").verifyComplete();

        t.append(Kits.one("reborn"), ExpectedVersion.noThread()).as(StepVerifier::create)
                .expectNext(new Appended(t.key(), 1, 1, false)).as("writing again creates it afresh at version 1").verifyComplete();
        t.events(1).count().as(StepVerifier::create).expectNext(1L).as("none of the old events").verifyComplete();
        t.state().as(StepVerifier::create).expectNext(fold(t.key(), log(t))).as("no old checkpoint").verifyComplete();
        t.info().map(ThreadInfo::metadata).as(StepVerifier::create).expectNext(Map.of()).as("no old metadata").verifyComplete();
    }

    @Test
    default void eachWriteRefreshesTheTtl(EngramFixture fixture) {
        ThreadHandle t = fixture.newThread(fixture.open());
        Duration ttl = Duration.ofMillis(1200);
        t.append(AppendBatch.ofChanges(List.of(msg("start"))).ttl(ttl)).block(TIMEOUT);
        // eight writes 300 ms apart span 2.4 s, twice the TTL: each must find the thread alive at the expected head
        Flux.range(0, 8)
                .concatMap(i -> Mono.delay(Duration.ofMillis(300)).then(t.append(Kits.one("keep alive " + i), ExpectedVersion.exactly(i + 1))))
                .map(Appended::lastVersion)
                .as(StepVerifier::create)
                .expectNext(2L, 3L, 4L, 5L, 6L, 7L, 8L, 9L).as("writes within the TTL keep the thread alive past its first expiry")
                .expectComplete()
                .verify(TIMEOUT);
        t.info().map(ThreadInfo::version).as(StepVerifier::create).expectNext(9L).verifyComplete();
        Kits.eventually(t.info().hasElement(), exists -> !exists, EXPIRY_BOUND, "the thread expires once writes stop")
                .as(StepVerifier::create).expectNext(false).verifyComplete();
    }

    @Test
    default void theEngineDefaultTtlAppliesToNewThreads(EngramFixture fixture) {
        Engram engram = fixture.open(c -> c.withThreadTtl(SHORT_TTL));
        ThreadHandle t = fixture.newThread(engram);
        t.append(msg("default ttl")).block(TIMEOUT);
        t.info().map(i -> i.expiresAt() != null).as(StepVerifier::create).expectNext(true).as("it has an expiry").verifyComplete();
        Kits.eventually(t.state().hasElement(), exists -> !exists, EXPIRY_BOUND, "the thread expires")
                .as(StepVerifier::create).expectNext(false).as("and expires").verifyComplete();
        t.events(1).as(StepVerifier::create).verifyComplete();
    }
}
