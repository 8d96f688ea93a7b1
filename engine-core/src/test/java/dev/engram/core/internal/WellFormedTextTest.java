package dev.engram.core.internal;

import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.engram.core.InvalidInputException;
import dev.engram.core.model.Change;
import dev.engram.core.model.Message;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class WellFormedTextTest {

    @Test
    void acceptsPairedSurrogatesSuchAsEmoji() {
        assertThatCode(() -> WellFormedText.check(Change.message(Message.user("ok 😀 ✓")), Map.of())).doesNotThrowAnyException();
    }

    @Test
    void refusesALoneSurrogateAndSaysWhere() {
        assertThatThrownBy(() -> WellFormedText.check(Change.message(Message.user("bad \uD83D end")), Map.of()))
                .isInstanceOf(InvalidInputException.class)
                .hasMessage("message.content has an unpaired UTF-16 surrogate at index 4");
        assertThatThrownBy(() -> WellFormedText.check(Change.set(Map.of("k", List.of("x", "\uDE00"))), Map.of()))
                .hasMessageContaining("values.k[1]");
        assertThatThrownBy(() -> WellFormedText.check(Change.remove("a"), Map.of("source", "\uD800")))
                .hasMessageContaining("event metadata.source");
    }
}
