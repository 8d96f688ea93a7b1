package dev.engram.core.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.engram.core.CorruptDataException;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

class ThreadStateTest {

    private static final ThreadKey KEY = ThreadKey.of("t1");

    private static Event event(long version, Change change) {
        return new Event(KEY, version, UUID.randomUUID(), Instant.ofEpochSecond(version), change, Map.of());
    }

    @Test
    void foldsEveryKindOfChange() {
        ThreadState s = ThreadState.empty(KEY)
                .apply(event(1, Change.message(Message.user("hi"))))
                .apply(event(2, Change.set(Map.of("mood", "good", "n", 1))))
                .apply(event(3, Change.message(Message.assistant("hello"))))
                .apply(event(4, Change.remove("mood")))
                .apply(event(5, Change.custom("app.ping", new byte[] {1})));

        assertThat(s.version()).isEqualTo(5);
        assertThat(s.updatedAt()).isEqualTo(Instant.ofEpochSecond(5));
        assertThat(s.messages()).extracting(Message::content).containsExactly("hi", "hello");
        assertThat(s.values()).containsExactly(Map.entry("n", 1L));
    }

    @Test
    void compactionReplacesCoveredMessagesWithTheSummary() {
        ThreadState s = ThreadState.empty(KEY);
        for (int v = 1; v <= 6; v++) {
            s = s.apply(event(v, Change.message(Message.user("m" + v))));
        }
        s = s.apply(event(7, Change.compact(4, Message.system("summary of 1-4"))));

        assertThat(s.messages()).extracting(Message::content).containsExactly("summary of 1-4", "m5", "m6");
        assertThat(s.entries().get(0).version()).as("the summary carries the version it covers").isEqualTo(4);

        ThreadState again = s.apply(event(8, Change.compact(5, Message.system("summary of 1-5"))));
        assertThat(again.messages()).extracting(Message::content).containsExactly("summary of 1-5", "m6");
    }

    @Test
    void foldingLeavesThePreviousStateUnchanged() {
        ThreadState one = ThreadState.empty(KEY).apply(event(1, Change.message(Message.user("a"))));
        ThreadState two = one.apply(event(2, Change.message(Message.user("b"))));
        assertThat(one.messages()).hasSize(1);
        assertThat(two.messages()).hasSize(2);
    }

    @Test
    void refusesAnEventThatIsNotTheNextVersion() {
        ThreadState s = ThreadState.empty(KEY).apply(event(1, Change.message(Message.user("a"))));
        assertThatThrownBy(() -> s.apply(event(3, Change.message(Message.user("c")))))
                .isInstanceOf(CorruptDataException.class)
                .hasMessageContaining("version 3");
    }

    @Test
    void rebuildsEqualStateFromItsParts() {
        ThreadState s = ThreadState.empty(KEY)
                .apply(event(1, Change.message(Message.user("a"))))
                .apply(event(2, Change.set("k", List.of(1, "x"))));
        ThreadState rebuilt = ThreadState.of(KEY, s.version(), s.entries(), s.values(), s.updatedAt());
        assertThat(rebuilt).isEqualTo(s);
    }
}
