package dev.engram.core.spi.support;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.engram.core.InvalidInputException;
import dev.engram.core.VersionConflictException;
import dev.engram.core.model.ExpectedVersion;
import dev.engram.core.model.ThreadKey;
import dev.engram.core.spi.EventRecord;
import dev.engram.core.spi.LogAppend;
import dev.engram.core.spi.LogAppended;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

class AppendRulesTest {

    private static final ThreadKey KEY = ThreadKey.of("t");
    private final Map<UUID, EventRecord> stored = new HashMap<>();

    private static EventRecord record(UUID id, String body) {
        return new EventRecord(0, id, "message", 1, body.getBytes());
    }

    private LogAppend append(ExpectedVersion expected, EventRecord... events) {
        return new LogAppend(KEY, expected, List.of(events), Map.of(), null, 1);
    }

    private void store(long version, EventRecord r) {
        stored.put(r.eventId(), r.withVersion(version));
    }

    @Test
    void newEventsMatchingTheExpectationProceed() {
        assertThat(AppendRules.decide(append(ExpectedVersion.noThread(), record(UUID.randomUUID(), "a")), 0, stored::get)).isNull();
        assertThat(AppendRules.decide(append(ExpectedVersion.exactly(3), record(UUID.randomUUID(), "a")), 3, stored::get)).isNull();
        assertThat(AppendRules.decide(append(ExpectedVersion.any(), record(UUID.randomUUID(), "a")), 9, stored::get)).isNull();
    }

    @Test
    void aMismatchIsAConflictCarryingBothVersions() {
        assertThatThrownBy(() -> AppendRules.decide(append(ExpectedVersion.exactly(2), record(UUID.randomUUID(), "a")), 5, stored::get))
                .isInstanceOfSatisfying(VersionConflictException.class, e -> {
                    assertThat(e.actual()).isEqualTo(5);
                    assertThat(e.expected()).isEqualTo(ExpectedVersion.exactly(2));
                });
    }

    @Test
    void aRetryReturnsTheOriginalVersionsEvenWhenTheExpectationNoLongerHolds() {
        EventRecord a = record(UUID.randomUUID(), "a");
        EventRecord b = record(UUID.randomUUID(), "b");
        store(4, a);
        store(5, b);
        LogAppended result = AppendRules.decide(append(ExpectedVersion.exactly(3), a, b), 9, stored::get);
        assertThat(result).isEqualTo(new LogAppended(4, 5, true));
    }

    @Test
    void theSameIdWithAnotherPayloadIsRefused() {
        UUID id = UUID.randomUUID();
        store(1, record(id, "original"));
        assertThatThrownBy(() -> AppendRules.decide(append(ExpectedVersion.any(), record(id, "changed")), 1, stored::get))
                .isInstanceOf(InvalidInputException.class)
                .hasMessageContaining(id.toString())
                .hasMessageContaining("different payload");
    }

    @Test
    void mixingStoredAndNewEventsIsRefused() {
        EventRecord old = record(UUID.randomUUID(), "a");
        store(1, old);
        assertThatThrownBy(() -> AppendRules.decide(append(ExpectedVersion.any(), old, record(UUID.randomUUID(), "b")), 1, stored::get))
                .isInstanceOf(InvalidInputException.class)
                .hasMessageContaining("mixes 1 already appended events with 1 new");
    }

    @Test
    void eventsFromDifferentBatchesAreNotOneRetry() {
        EventRecord a = record(UUID.randomUUID(), "a");
        EventRecord c = record(UUID.randomUUID(), "c");
        store(1, a);
        store(3, c);
        assertThatThrownBy(() -> AppendRules.decide(append(ExpectedVersion.any(), a, c), 3, stored::get))
                .isInstanceOf(InvalidInputException.class)
                .hasMessageContaining("different batches");
    }
}
