package dev.engram.tck;

import static dev.engram.tck.Kits.TIMEOUT;
import static dev.engram.tck.Kits.appendMessages;
import static dev.engram.tck.Kits.log;
import static dev.engram.tck.Kits.msg;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.engram.core.Engram;
import dev.engram.core.InvalidInputException;
import dev.engram.core.PayloadTooLargeException;
import dev.engram.core.ThreadHandle;
import dev.engram.core.config.Limits;
import dev.engram.core.model.AppendBatch;
import dev.engram.core.model.Appended;
import dev.engram.core.model.Change;
import dev.engram.core.model.ExpectedVersion;
import dev.engram.core.model.Message;
import dev.engram.core.model.NewEvent;
import dev.engram.core.model.ThreadKey;
import dev.engram.core.model.ThreadQuery;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import reactor.test.StepVerifier;

/** Bad input is refused with {@link InvalidInputException} (or {@link PayloadTooLargeException}) and nothing is stored. */
public interface InputValidationKit extends EngramKit {

    @Test
    default void invalidIdsAreRefusedAndNothingIsStored(EngramFixture fixture) {
        Engram engram = fixture.open();
        List<String> bad = new ArrayList<>(List.of("a/b", "a*", "{a}", "a b", "", "x".repeat(257), "x".repeat(300), "é", "a\nb", "a#b"));
        bad.add(null);
        for (String id : bad) {
            assertThatThrownBy(() -> engram.thread(id)).as("thread id %s", id).isInstanceOf(InvalidInputException.class);
            assertThatThrownBy(() -> ThreadKey.of(id, "ok")).as("tenant %s", id).isInstanceOf(InvalidInputException.class);
            if (id != null && !id.isEmpty()) {
                assertThatThrownBy(() -> ThreadKey.of("ok").withNamespace(id)).as("namespace %s", id).isInstanceOf(InvalidInputException.class);
            }
        }
        engram.threads(ThreadQuery.of(ThreadKey.DEFAULT_TENANT)).map(p -> p.items().size()).as(StepVerifier::create)
                .expectNext(0).as("nothing was stored").verifyComplete();

        String longest = "Az09._:@-" + "x".repeat(247);
        ThreadKey edge = new ThreadKey(longest, longest, longest);
        engram.thread(edge).append(msg("edge")).map(Appended::firstVersion).as(StepVerifier::create)
                .expectNext(1L).as("256 characters of every allowed kind are accepted as tenant, id and namespace").verifyComplete();
        engram.thread(edge).events(1).map(e -> e.key()).as(StepVerifier::create).expectNext(edge).verifyComplete();
    }

    @Test
    default void anEventOverTheSizeLimitIsRefusedAndNothingIsStored(EngramFixture fixture) {
        ThreadHandle t = fixture.newThread(fixture.open());
        appendMessages(t, 1);
        String big = "x".repeat((int) (Limits.DEFAULT_MAX_EVENT_BYTES * 11 / 10));
        t.append(msg(big)).as(StepVerifier::create)
                .expectErrorSatisfies(e -> assertThat(e).as("a 1.1 MiB message against the default 1 MiB limit").isInstanceOfSatisfying(PayloadTooLargeException.class, p -> {
                    assertThat(p.limit()).isEqualTo(Limits.DEFAULT_MAX_EVENT_BYTES);
                    assertThat(p.size()).isGreaterThan(p.limit());
                }))
                .verify();
        t.append(AppendBatch.of(NewEvent.of(msg("small")), NewEvent.of(Change.custom("blob", new byte[(int) Limits.DEFAULT_MAX_EVENT_BYTES + 1]))))
                .as(StepVerifier::create).as("a batch with one oversized event").verifyError(PayloadTooLargeException.class);
        t.info().map(i -> i.version()).as(StepVerifier::create).expectNext(1L).as("the head is unchanged").verifyComplete();
        assertThat(log(t)).as("nothing was stored").hasSize(1);
    }

    @Test
    default void theSizeLimitIsConfigurable(EngramFixture fixture) {
        ThreadHandle t = fixture.newThread(fixture.open(c -> c.withLimits(new Limits(4096, 1000))));
        t.append(msg("y".repeat(2000))).map(Appended::firstVersion).as(StepVerifier::create).expectNext(1L).verifyComplete();
        t.append(msg("y".repeat(5000))).as(StepVerifier::create).as("5,000 bytes over a 4 KiB limit")
                .verifyError(PayloadTooLargeException.class);
        assertThat(log(t)).hasSize(1);
    }

    @Test
    default void tooManyEventsInOneAppendAreRefused(EngramFixture fixture) {
        Engram engram = fixture.open();
        ThreadHandle t = fixture.newThread(engram);
        t.append(AppendBatch.of(Kits.newEvents(Limits.DEFAULT_MAX_EVENTS_PER_APPEND + 1, "many"))).as(StepVerifier::create)
                .as("1,001 events in one append").verifyError(InvalidInputException.class);
        t.info().as(StepVerifier::create).as("nothing was stored").verifyComplete();
        t.append(AppendBatch.of(Kits.newEvents(Limits.DEFAULT_MAX_EVENTS_PER_APPEND, "many"))).map(Appended::lastVersion)
                .as(StepVerifier::create).expectNext(1000L).as("1,000 is allowed").verifyComplete();

        Engram limited = fixture.reopen(engram, c -> c.withLimits(new Limits(Limits.DEFAULT_MAX_EVENT_BYTES, 3)));
        ThreadHandle small = fixture.newThread(limited);
        small.append(AppendBatch.of(Kits.newEvents(4, "four"))).as(StepVerifier::create)
                .as("a configured limit of 3").verifyError(InvalidInputException.class);
        small.info().as(StepVerifier::create).verifyComplete();
    }

    @Test
    default void invalidValuesAreRefusedBeforeAnyIo(EngramFixture fixture) {
        Map<String, Object> withObject = Map.of("k", new Object());
        assertThatThrownBy(() -> Change.set(withObject)).as("a value of an unsupported type").isInstanceOf(InvalidInputException.class);
        Map<Object, Object> nonStringKey = new HashMap<>();
        nonStringKey.put(1, "one");
        assertThatThrownBy(() -> Change.set(Map.of("nested", nonStringKey))).as("a map key that is not a string").isInstanceOf(InvalidInputException.class);
        assertThatThrownBy(() -> Change.set(Map.of())).as("an empty value set").isInstanceOf(InvalidInputException.class);
        assertThatThrownBy(() -> Message.of(null, "x")).as("a message without a role").isInstanceOf(InvalidInputException.class);
        assertThatThrownBy(() -> Message.user(null)).as("a message without content").isInstanceOf(InvalidInputException.class);
        assertThatThrownBy(() -> Change.custom("bad type", new byte[0])).as("a custom type that is not an id").isInstanceOf(InvalidInputException.class);
        assertThatThrownBy(() -> Change.compact(0, Message.system("s"))).as("a compaction up to 0").isInstanceOf(InvalidInputException.class);
        assertThatThrownBy(() -> new NewEvent(null, msg("x"), Map.of())).as("an event without an id").isInstanceOf(InvalidInputException.class);
        assertThatThrownBy(() -> AppendBatch.of(List.of())).as("an empty append").isInstanceOf(InvalidInputException.class);
        assertThatThrownBy(() -> AppendBatch.of(Collections.singletonList((NewEvent) null))).as("a null event").isInstanceOf(InvalidInputException.class);
        assertThatThrownBy(() -> AppendBatch.ofChanges(List.of(msg("x"))).metadata(Map.of("", "v"))).as("an empty metadata key")
                .isInstanceOf(InvalidInputException.class);
        assertThatThrownBy(() -> AppendBatch.ofChanges(List.of(msg("x"))).ttl(Duration.ZERO)).as("a zero TTL").isInstanceOf(InvalidInputException.class);
        assertThatThrownBy(() -> ExpectedVersion.exactly(-1)).as("a negative expected version").isInstanceOf(InvalidInputException.class);
        assertThatThrownBy(() -> ThreadQuery.of("t").limit(0)).as("a listing limit of 0").isInstanceOf(InvalidInputException.class);

        ThreadHandle t = fixture.newThread(fixture.open());
        Map<String, String> nullValue = new HashMap<>();
        nullValue.put("k", null);
        t.updateMetadata(nullValue, java.util.Set.of()).as(StepVerifier::create).as("a null metadata value").verifyError(InvalidInputException.class);
        t.info().as(StepVerifier::create).as("nothing was stored").verifyComplete();
    }
}
