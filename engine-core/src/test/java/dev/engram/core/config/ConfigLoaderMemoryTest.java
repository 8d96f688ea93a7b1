package dev.engram.core.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.engram.core.ConfigurationException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The {@code memory:} section: every key, the defaults, and the errors. */
class ConfigLoaderMemoryTest {

    @TempDir
    Path dir;

    private EngramConfig load(String yaml) throws IOException {
        return ConfigLoader.load(write(yaml), Map.of(), dir);
    }

    private EngramConfig load(String yaml, Map<String, String> env) throws IOException {
        return ConfigLoader.load(write(yaml), env, dir);
    }

    private Path write(String yaml) throws IOException {
        return Files.writeString(dir.resolve("engram.yaml"), yaml);
    }

    @Test
    void without_a_memory_section_the_defaults_apply() throws IOException {
        MemorySettings m = load("provider: memory\n").memory();

        assertThat(m).isEqualTo(MemorySettings.defaults());
        assertThat(m.maxMemories()).isEqualTo(50);
        assertThat(m.maxSummaries()).isEqualTo(10);
        assertThat(m.ttl()).isNull();
        assertThat(m.refreshTtlOnRead()).isFalse();
        assertThat(m.textFields()).isEmpty();
        assertThat(m.embedding().enabled()).isFalse();
        assertThat(m.embedding().lexicalWeight()).isZero();
        assertThat(m.embedding().endpoint().model()).isEqualTo("text-embedding-3-small");
        assertThat(m.extraction().enabled()).isFalse();
        assertThat(m.extraction().namespace()).isEqualTo("facts");
    }

    @Test
    void every_key_is_read() throws IOException {
        MemorySettings m = load("""
                memory:
                  maxMemories: 20
                  maxSummaries: 3
                  ttl: 90d
                  refreshTtlOnRead: yes
                  textFields: [text, note.body]
                  embedding:
                    enabled: true
                    baseUrl: http://127.0.0.1:11434/v1/
                    model: nomic-embed-text
                    apiKeyEnv: ""
                    timeout: 5s
                    fields: text, title
                    lexicalWeight: 0.25
                  extraction:
                    enabled: on
                    baseUrl: https://models.example.test/v1
                    model: small-model
                    apiKeyEnv: MODEL_KEY
                    timeout: 1m
                    userMetadataKey: user
                    namespace: memories
                    queueCapacity: 500
                    workers: 3
                    maxTurnsPerCall: 8
                    maxAttempts: 4
                    initialBackoff: 250ms
                    maxBackoff: 30s
                """).memory();

        assertThat(m.maxMemories()).isEqualTo(20);
        assertThat(m.maxSummaries()).isEqualTo(3);
        assertThat(m.ttl()).isEqualTo(Duration.ofDays(90));
        assertThat(m.refreshTtlOnRead()).isTrue();
        assertThat(m.textFields()).containsExactly("text", "note.body");

        EmbeddingSettings e = m.embedding();
        assertThat(e.enabled()).isTrue();
        assertThat(e.endpoint()).isEqualTo(new ModelEndpoint("http://127.0.0.1:11434/v1", "nomic-embed-text", null, Duration.ofSeconds(5)));
        assertThat(e.fields()).as("a comma-separated value is a list").containsExactly("text", "title");
        assertThat(e.lexicalWeight()).isEqualTo(0.25);

        ExtractionSettings x = m.extraction();
        assertThat(x.enabled()).isTrue();
        assertThat(x.endpoint()).isEqualTo(new ModelEndpoint("https://models.example.test/v1", "small-model", "MODEL_KEY", Duration.ofMinutes(1)));
        assertThat(x.userMetadataKey()).isEqualTo("user");
        assertThat(x.namespace()).isEqualTo("memories");
        assertThat(List.of(x.queueCapacity(), x.workers(), x.maxTurnsPerCall(), x.maxAttempts())).containsExactly(500, 3, 8, 4);
        assertThat(x.initialBackoff()).isEqualTo(Duration.ofMillis(250));
        assertThat(x.maxBackoff()).isEqualTo(Duration.ofSeconds(30));
    }

    @Test
    void an_endpoint_keeps_the_defaults_it_does_not_set_and_never_means_no_ttl() throws IOException {
        MemorySettings m = load("""
                memory:
                  ttl: never
                  embedding:
                    model: other-model
                """).memory();

        assertThat(m.ttl()).isNull();
        ModelEndpoint at = m.embedding().endpoint();
        assertThat(at.model()).isEqualTo("other-model");
        assertThat(at.baseUrl()).isEqualTo(ModelEndpoint.DEFAULT_BASE_URL);
        assertThat(at.apiKeyEnv()).as("the key's variable, not the key").isEqualTo("OPENAI_API_KEY");
        assertThat(at.timeout()).isEqualTo(ModelEndpoint.DEFAULT_TIMEOUT);
        assertThat(m.embedding().enabled()).isFalse();
    }

    @Test
    void variables_are_substituted_in_the_memory_section() throws IOException {
        MemorySettings m = load("""
                memory:
                  maxMemories: ${MAX_RECALL:-30}
                  embedding:
                    baseUrl: ${EMBED_URL}
                """, Map.of("EMBED_URL", "http://127.0.0.1:8080/v1")).memory();

        assertThat(m.maxMemories()).isEqualTo(30);
        assertThat(m.embedding().endpoint().baseUrl()).isEqualTo("http://127.0.0.1:8080/v1");
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            "memory: {maxMemorys: 3}                          | unknown key 'maxMemorys' in memory",
            "memory: {embedding: {enable: true}}              | unknown key 'enable' in memory.embedding",
            "memory: {extraction: {queue: 3}}                 | unknown key 'queue' in memory.extraction",
            "memory: {maxMemories: 0}                         | memory.maxMemories must be at least 1",
            "memory: {maxSummaries: -1}                       | memory.maxSummaries not negative",
            "memory: {maxMemories: many}                      | memory.maxMemories",
            "memory: {ttl: 0s}                                | memory.ttl must be positive",
            "memory: {ttl: soon}                              | memory.ttl",
            "memory: {refreshTtlOnRead: maybe}                | memory.refreshTtlOnRead",
            "memory: {textFields: {a: 1}}                     | memory.textFields",
            "memory: {embedding: {lexicalWeight: 1.5}}        | memory.embedding.lexicalWeight must be between 0 and 1",
            "memory: {embedding: {lexicalWeight: much}}       | memory.embedding.lexicalWeight",
            "memory: {embedding: {baseUrl: 'ftp://x/v1'}}     | memory.embedding.baseUrl must be an http or https URL",
            "memory: {embedding: {timeout: 0s}}               | memory.embedding.timeout must be positive",
            "memory: {embedding: 3}                           | memory.embedding",
            "memory: {extraction: {namespace: 'a b'}}         | memory.extraction.namespace must be",
            "memory: {extraction: {workers: 0}}               | memory.extraction.queueCapacity, workers",
            "memory: {extraction: {initialBackoff: 1m, maxBackoff: 1s}} | initialBackoff <= maxBackoff",
            "memory: [1, 2]                                   | memory",
    })
    void mistakes_are_errors_naming_the_key(String yaml, String message) throws IOException {
        Path file = write(yaml + "\n");

        assertThatThrownBy(() -> ConfigLoader.load(file, Map.of(), dir))
                .isInstanceOf(ConfigurationException.class)
                .hasMessageStartingWith(file.toString())
                .hasMessageContaining(message);
    }

    @Test
    void the_config_carries_the_memory_settings_to_withMemory() {
        MemorySettings m = MemorySettings.defaults().withCaps(5, 1).withTtl(Duration.ofHours(1), true).withTextFields(List.of("text"));
        EngramConfig config = EngramConfig.defaults().withMemory(m);

        assertThat(config.memory()).isEqualTo(m);
        assertThat(config.withProvider("memory").memory()).as("kept by the other with* methods").isEqualTo(m);
    }
}
