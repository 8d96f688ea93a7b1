package dev.engram.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.engram.core.config.EngramConfig;
import dev.engram.core.config.ModelEndpoint;
import dev.engram.core.memory.Embedder;
import dev.engram.core.memory.MemoryKey;
import dev.engram.core.memory.MemorySearch;
import dev.engram.core.memory.MemoryWrite;
import dev.engram.core.memory.Namespace;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Mono;

/** How an engine wires its memory store: the backend's storage, the config's settings, the builder's embedder. */
class EngramMemoriesTest {

    private static final Duration WAIT = Duration.ofSeconds(10);
    private static final EngramConfig MEMORY = EngramConfig.defaults().withProvider("memory");

    @Test
    void theStoreKeepsItsItemsInTheEnginesBackendAndHonoursTheConfiguredCaps() {
        try (Engram engram = Engram.open(MEMORY.withMemory(MEMORY.memory().withCaps(2, 1)))) {
            assertThat(engram.memories()).isSameAs(engram.memories());
            Namespace ns = Namespace.of("user-42", "facts");
            for (int i = 0; i < 3; i++) {
                engram.memories().put(MemoryWrite.of(MemoryKey.of(ns, "k" + i), Map.of("n", i))).block(WAIT);
            }
            assertThat(engram.memories().search(MemorySearch.under(ns).limit(10)).block(WAIT)).hasSize(2);
            assertThat(engram.backend().memories().scan("default", ns, java.time.Instant.now()).count().block(WAIT)).isEqualTo(3);
        }
    }

    @Test
    void theBuildersEmbedderEmbedsWritesAndQueries() {
        AtomicInteger texts = new AtomicInteger();
        Embedder counting = new Embedder() {
            @Override
            public String name() {
                return "counting";
            }

            @Override
            public String model() {
                return "one-hot";
            }

            @Override
            public Mono<List<float[]>> embed(List<String> in) {
                texts.addAndGet(in.size());
                return Mono.just(in.stream().map(t -> new float[] {t.length(), 1}).toList());
            }
        };
        try (Engram engram = Engram.builder(MEMORY).embedder(counting).open()) {
            Namespace ns = Namespace.of("u");
            engram.memories().put(MemoryWrite.of(MemoryKey.of(ns, "a"), Map.of("text", "abc"))).block(WAIT);
            engram.memories().put(MemoryWrite.of(MemoryKey.of(ns, "b"), Map.of("n", 1))).block(WAIT);
            assertThat(texts).as("an item without text is not embedded").hasValue(1);
            assertThat(engram.memories().search(MemorySearch.under(ns).query("xyz")).block(WAIT)).hasSize(2);
            assertThat(texts).as("the query is").hasValue(2);
        }
    }
}
