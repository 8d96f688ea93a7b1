package dev.engram.core.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.engram.core.InvalidInputException;
import dev.engram.core.model.ThreadKey;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

class IdsTest {

    @ParameterizedTest
    @ValueSource(strings = {"a/b", "a*", "{x}", "with space", "", "tab\t", "é", "line\n"})
    void refusesIdsOutsideTheAlphabet(String id) {
        assertThatThrownBy(() -> ThreadKey.of(id))
                .isInstanceOf(InvalidInputException.class)
                .hasMessageContaining("threadId");
    }

    @Test
    void refusesIdsLongerThan256() {
        assertThatThrownBy(() -> ThreadKey.of("x".repeat(300)))
                .isInstanceOf(InvalidInputException.class)
                .hasMessageContaining("1..256")
                .hasMessageContaining("300 chars");
        assertThat(ThreadKey.of("x".repeat(256)).threadId()).hasSize(256);
    }

    @Test
    void acceptsTheWholeAlphabetAndAnEmptyNamespace() {
        ThreadKey key = new ThreadKey("acme", "user-42:chat_7.v2@eu", "");
        assertThat(key.namespace()).isEmpty();
        assertThatThrownBy(() -> new ThreadKey("ac/me", "t", "")).hasMessageContaining("tenant");
        assertThatThrownBy(() -> new ThreadKey("acme", "t", "sub agent")).hasMessageContaining("namespace");
    }
}
