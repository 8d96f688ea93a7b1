package dev.engram.tck;

import static dev.engram.tck.Kits.TIMEOUT;
import static dev.engram.tck.Kits.appendMessages;
import static dev.engram.tck.Kits.fold;
import static dev.engram.tck.Kits.log;
import static dev.engram.tck.Kits.msg;
import static dev.engram.tck.Kits.range;
import static dev.engram.tck.Kits.versions;
import static org.assertj.core.api.Assertions.assertThat;

import dev.engram.core.Engram;
import dev.engram.core.InvalidInputException;
import dev.engram.core.ThreadHandle;
import dev.engram.core.model.AppendBatch;
import dev.engram.core.model.Appended;
import dev.engram.core.model.Change;
import dev.engram.core.model.Event;
import dev.engram.core.model.Message;
import dev.engram.core.model.NewEvent;
import dev.engram.core.model.ThreadState;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;
import reactor.core.scheduler.Schedulers;
import reactor.test.StepVerifier;

/** Appending and reading back: 1-based gapless versions, ranges of the log, and the state the built-in reducer folds. */
public interface AppendKit extends EngramKit {

    @Test
    default void firstAppendGetsVersionOneAndLaterOnesFollow(EngramFixture fixture) {
        ThreadHandle t = fixture.newThread(fixture.open());
        t.append(msg("hi")).as(StepVerifier::create)
                .expectNext(new Appended(t.key(), 1, 1, false)).as("first append gets version 1")
                .verifyComplete();
        t.append(AppendBatch.ofChanges(List.of(msg("a"), msg("b"), msg("c")))).as(StepVerifier::create)
                .expectNext(new Appended(t.key(), 2, 4, false)).as("a batch of three gets the next three versions")
                .verifyComplete();
        t.append(msg("d")).as(StepVerifier::create)
                .expectNext(new Appended(t.key(), 5, 5, false)).as("the next append continues without a gap")
                .verifyComplete();
        t.events(1).map(Event::version).as(StepVerifier::create)
                .expectNext(1L, 2L, 3L, 4L, 5L).as("the log holds versions 1..5 in order")
                .verifyComplete();
    }

    @Test
    default void eventsAreStoredAsAppended(EngramFixture fixture) {
        ThreadHandle t = fixture.newThread(fixture.open());
        Instant before = Instant.now().minusSeconds(60);
        Message rich = new Message("assistant", "see attached", "helper", null, "m-1",
                Map.of("tokens", 42, "ratio", 0.5, "big", new BigInteger("123456789012345678901234567890"),
                        "exact", new BigDecimal("3.14159265358979323846"), "flags", List.of(true, false),
                        "nested", Map.of("a", List.of(1, "two", Map.of("three", 3))), "nothing", Arrays.asList((Object) null)));
        NewEvent first = new NewEvent(UUID.randomUUID(), Change.message(rich), Map.of("source", "kit", "trace", "abc"));
        NewEvent second = NewEvent.of(Change.custom("app.blob", new byte[] {0, 1, 2, (byte) 0xff}));
        NewEvent third = NewEvent.of(Change.set(Map.of("k", "v")));
        t.append(AppendBatch.of(first, second, third)).block(TIMEOUT);

        t.events(1).as(StepVerifier::create)
                .assertNext(e -> {
                    assertThat(e.key()).isEqualTo(t.key());
                    assertThat(e.version()).isEqualTo(1);
                    assertThat(e.eventId()).isEqualTo(first.eventId());
                    assertThat(e.type()).isEqualTo(Change.MessageAppended.TYPE);
                    assertThat(e.change()).isEqualTo(first.change());
                    assertThat(e.metadata()).isEqualTo(first.metadata());
                    assertThat(e.timestamp()).isAfter(before).isBefore(Instant.now().plusSeconds(60));
                }).as("a message with attributes of every JSON-like type comes back equal, with its id and metadata")
                .assertNext(e -> {
                    assertThat(e.eventId()).isEqualTo(second.eventId());
                    assertThat(e.type()).isEqualTo(Change.Custom.TYPE);
                    assertThat(e.change()).isEqualTo(second.change());
                    assertThat(((Change.Custom) e.change()).customType()).isEqualTo("app.blob");
                }).as("a custom event keeps its type and bytes")
                .assertNext(e -> assertThat(e.change()).isEqualTo(third.change())).as("a value set comes back equal")
                .verifyComplete();
    }

    @Test
    default void eventsReadsRangesOfTheLog(EngramFixture fixture) {
        ThreadHandle t = fixture.newThread(fixture.open());
        appendMessages(t, 12);
        t.events(5).map(Event::version).collectList().as(StepVerifier::create)
                .expectNext(range(5, 12)).as("events(5) emits 5..head")
                .verifyComplete();
        t.events(3, 4).map(Event::version).collectList().as(StepVerifier::create)
                .expectNext(range(3, 6)).as("events(3, 4) emits four events from 3")
                .verifyComplete();
        t.events(11, 100).map(Event::version).collectList().as(StepVerifier::create)
                .expectNext(range(11, 12)).as("a limit past the head stops at the head")
                .verifyComplete();
        t.events(13).as(StepVerifier::create)
                .expectNextCount(0).as("reading past the head emits nothing")
                .verifyComplete();
        t.events(12, 1).map(e -> ((Change.MessageAppended) e.change()).message().content()).as(StepVerifier::create)
                .expectNext("message 12").as("the last event is the last appended")
                .verifyComplete();
    }

    @Test
    default void aLongLogIsReadWholeAndInOrder(EngramFixture fixture) {
        ThreadHandle t = fixture.newThread(fixture.open());
        for (int batch = 0; batch < 3; batch++) {
            t.append(Kits.batch(Kits.newEvents(900, "bulk " + batch))).block(TIMEOUT);
        }
        List<Event> all = log(t);
        assertThat(versions(all)).as("2,700 events read back across page boundaries, gapless").isEqualTo(range(1, 2700));
        t.events(950, 1000).map(Event::version).collectList().as(StepVerifier::create)
                .expectNext(range(950, 1949)).as("a limited read across a page boundary")
                .verifyComplete();
    }

    @Test
    default void anAbsentThreadHasNoStateNoEventsNoInfo(EngramFixture fixture) {
        ThreadHandle t = fixture.newThread(fixture.open());
        t.state().as(StepVerifier::create).as("no state").verifyComplete();
        t.events(1).as(StepVerifier::create).as("no events").verifyComplete();
        t.info().as(StepVerifier::create).as("no info").verifyComplete();
        t.checkpoints().as(StepVerifier::create).as("no checkpoints").verifyComplete();
    }

    @Test
    default void stateFoldsMessagesValuesAndCompactions(EngramFixture fixture) {
        ThreadHandle t = fixture.newThread(fixture.open());
        List<Change> changes = List.of(
                Change.message(Message.system("be brief")),                       // 1
                msg("hello"),                                                      // 2
                Change.set(Map.of("mood", "curious", "turns", 1)),                 // 3
                Change.message(Message.assistant("hi there")),                     // 4
                Change.custom("app.audit", "x".getBytes(StandardCharsets.UTF_8)), // 5
                Change.set("turns", 2),                                            // 6
                Change.remove("mood", "absent"),                                   // 7
                msg("what is 2+2?"),                                               // 8
                Change.compact(4, Message.system("greeted each other")),          // 9
                Change.message(Message.assistant("4")));                           // 10
        Kits.appendEach(t, changes).block(TIMEOUT);

        t.state().as(StepVerifier::create)
                .assertNext(s -> {
                    assertThat(s.key()).isEqualTo(t.key());
                    assertThat(s.version()).isEqualTo(10);
                    assertThat(Kits.contents(s)).containsExactly("greeted each other", "what is 2+2?", "4");
                    assertThat(s.entries()).extracting(ThreadState.Entry::version).containsExactly(4L, 8L, 10L);
                    assertThat(s.values()).isEqualTo(Map.of("turns", 2L));
                }).as("messages up to 4 are compacted into the summary, values set then removed, custom events carried")
                .verifyComplete();
        t.stateAt(8).as(StepVerifier::create)
                .assertNext(s -> assertThat(Kits.contents(s)).containsExactly("be brief", "hello", "hi there", "what is 2+2?"))
                .as("before the compaction every message is there")
                .verifyComplete();
    }

    @Test
    default void stateMatchesAFoldOfTheLog(EngramFixture fixture) {
        ThreadHandle t = fixture.newThread(fixture.open());
        Kits.appendMixed(t, 0, 40);
        ThreadState expected = fold(t.key(), log(t));
        t.state().as(StepVerifier::create)
                .expectNext(expected).as("the engine's state equals a fold of events(1)")
                .verifyComplete();
        assertThat(expected.version()).isEqualTo(40);
    }

    @Test
    default void infoReportsHeadAndTimes(EngramFixture fixture) {
        ThreadHandle t = fixture.newThread(fixture.open());
        Instant before = Instant.now().minusSeconds(60);
        appendMessages(t, 3);
        t.info().as(StepVerifier::create)
                .assertNext(i -> {
                    assertThat(i.key()).isEqualTo(t.key());
                    assertThat(i.version()).isEqualTo(3);
                    assertThat(i.createdAt()).isAfter(before);
                    assertThat(i.updatedAt()).isAfterOrEqualTo(i.createdAt());
                    assertThat(i.expiresAt()).isNull();
                }).as("info has the head, the times, and no expiry without a TTL")
                .verifyComplete();
    }

    @Test
    default void concurrentAppendsWithAnyExpectationAllLandGapless(EngramFixture fixture) {
        Engram engram = fixture.open();
        ThreadHandle t = fixture.newThread(engram);
        int writers = 8;
        int each = 25;
        List<Appended> results = Flux.range(0, writers)
                .flatMap(w -> Flux.range(0, each).concatMap(i -> t.append(msg("w" + w + " #" + i)))
                        .subscribeOn(Schedulers.parallel()))
                .collectList().block(TIMEOUT);
        assertThat(results).extracting(Appended::firstVersion).as("every append got its own version")
                .doesNotHaveDuplicates().hasSize(writers * each);
        List<Event> all = log(t);
        assertThat(versions(all)).as("the log is gapless").isEqualTo(range(1, writers * each));
        Map<String, Integer> next = new LinkedHashMap<>();
        for (Event e : all) {
            String content = ((Change.MessageAppended) e.change()).message().content();
            String writer = content.substring(0, content.indexOf(' '));
            int n = Integer.parseInt(content.substring(content.indexOf('#') + 1));
            assertThat(n).as("each writer's appends are stored in its order").isEqualTo(next.getOrDefault(writer, 0));
            next.put(writer, n + 1);
        }
        assertThat(next.values()).allMatch(n -> n == each);
    }

    @Test
    default void readArgumentsAreValidated(EngramFixture fixture) {
        ThreadHandle t = fixture.newThread(fixture.open());
        appendMessages(t, 1);
        t.events(0).as(StepVerifier::create).as("events from version 0").verifyError(InvalidInputException.class);
        t.events(1, 0).as(StepVerifier::create).as("a limit of 0").verifyError(InvalidInputException.class);
        t.events(-5, 3).as(StepVerifier::create).as("a negative version").verifyError(InvalidInputException.class);
    }
}
