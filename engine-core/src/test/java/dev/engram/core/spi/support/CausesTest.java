package dev.engram.core.spi.support;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import org.junit.jupiter.api.Test;

class CausesTest {

    @Test
    void findsTheOutermostMatchAmongTheCauses() {
        IOException inner = new IOException("refused");
        IllegalStateException middle = new IllegalStateException("cannot connect", inner);
        RuntimeException outer = new RuntimeException("failed", middle);
        assertThat(Causes.find(outer, t -> t instanceof IOException)).isSameAs(inner);
        assertThat(Causes.find(outer, t -> t instanceof RuntimeException)).isSameAs(outer);
        assertThat(Causes.find(outer, t -> t instanceof UncheckedIOException)).isNull();
    }

    @Test
    void stopsOnAChainThatLoopsBackOnItself() {
        RuntimeException a = new RuntimeException("a");
        RuntimeException b = new RuntimeException("b", a);
        a.initCause(b);
        assertThat(Causes.find(a, t -> t instanceof IOException)).isNull();
    }
}
