package dev.engram.core.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.engram.core.ConfigurationException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EnvSubstitutionTest {

    private static final Map<String, String> ENV = Map.of("HOST", "db.internal", "PORT", "6380", "EMPTY", "", "REF", "${HOST}");

    @TempDir
    Path dir;

    private static String apply(String value) {
        return EnvSubstitution.apply(value, ENV, "engram.yaml: x.y", false);
    }

    @Test
    void a_set_variable_is_replaced_wherever_it_occurs() {
        assertThat(apply("redis://${HOST}:${PORT}/0")).isEqualTo("redis://db.internal:6380/0");
    }

    @Test
    void a_set_variable_wins_over_its_default() {
        assertThat(apply("${PORT:-6379}")).isEqualTo("6380");
    }

    @Test
    void an_unset_variable_takes_its_default() {
        assertThat(apply("${MISSING:-redis://127.0.0.1:6379}")).isEqualTo("redis://127.0.0.1:6379");
        assertThat(apply("a${MISSING:-}b")).as("an empty default").isEqualTo("ab");
    }

    @Test
    void an_empty_variable_takes_its_default_but_stays_empty_without_one() {
        assertThat(apply("${EMPTY:-fallback}")).isEqualTo("fallback");
        assertThat(apply("[${EMPTY}]")).isEqualTo("[]");
    }

    @Test
    void an_unset_variable_without_default_fails_naming_it_and_where() {
        assertThatThrownBy(() -> apply("redis://${REDIS_HOST}:6379"))
                .isInstanceOf(ConfigurationException.class)
                .hasMessageStartingWith("engram.yaml: x.y: environment variable REDIS_HOST is not set")
                .hasMessageContaining("${REDIS_HOST:-default}");
    }

    @Test
    void a_doubled_dollar_escapes_a_literal_reference() {
        assertThat(apply("$${HOST}")).as("not replaced, even though HOST is set").isEqualTo("${HOST}");
        assertThat(apply("$${UNSET}")).as("and no error for an unset name").isEqualTo("${UNSET}");
        assertThat(apply("cost: $5 and $$ and ${PORT}")).isEqualTo("cost: $5 and $$ and 6380");
    }

    @Test
    void replacements_are_not_scanned_again() {
        assertThat(apply("${REF}")).isEqualTo("${HOST}");
    }

    @Test
    void a_default_is_literal_text() {
        assertThat(apply("${MISSING:-${HOST}")).as("the default ends at the first '}'").isEqualTo("${HOST");
    }

    @Test
    void an_unterminated_reference_fails() {
        assertThatThrownBy(() -> apply("${HOST"))
                .isInstanceOf(ConfigurationException.class)
                .hasMessage("engram.yaml: x.y: unterminated '${' (write '$${' for a literal '${')");
    }

    @Test
    void a_malformed_reference_fails_and_is_echoed_only_for_a_key_that_is_not_secret() {
        assertThatThrownBy(() -> apply("${HOST-x}"))
                .isInstanceOf(ConfigurationException.class)
                .hasMessageContaining("'${HOST-x}' is not a valid variable reference");
        assertThatThrownBy(() -> EnvSubstitution.apply("pa${ss w0rd}", ENV, "engram.yaml: providers.redis.password", true))
                .isInstanceOf(ConfigurationException.class)
                .hasMessageContaining("providers.redis.password: a '${...}' is not a valid variable reference")
                .hasMessageNotContaining("w0rd");
    }

    // ---- through the loader -------------------------------------------------------------------------------------

    @Test
    void values_are_substituted_before_they_are_parsed() throws IOException {
        Path file = write("""
                provider: ${PROVIDER:-memory}
                strict: ${STRICT}
                limits:
                  maxEventBytes: ${MAX_EVENT:-64KiB}
                  maxEventsPerAppend: ${PER_APPEND}
                threads:
                  ttl: ${TTL}
                providers:
                  redis:
                    url: redis://${HOST}:${PORT:-6379}
                    nodes: ["${HOST}:1", "${HOST}:2"]
                """);

        EngramConfig config = ConfigLoader.load(file, Map.of("STRICT", "true", "PER_APPEND", "42", "TTL", "2h", "HOST", "h"), dir);

        assertThat(config.provider()).isEqualTo("memory");
        assertThat(config.strict()).isTrue();
        assertThat(config.limits()).isEqualTo(new Limits(64 * 1024, 42));
        assertThat(config.threadTtl()).hasHours(2);
        assertThat(config.providerOptions("redis").raw("url")).isEqualTo("redis://h:6379");
        assertThat(config.providerOptions("redis").raw("nodes")).isEqualTo("h:1,h:2");
    }

    @Test
    void an_unset_variable_fails_naming_it_and_the_config_path() throws IOException {
        Path file = write("""
                providers:
                  redis:
                    url: ${REDIS_URL}
                """);

        assertThatThrownBy(() -> ConfigLoader.load(file, Map.of(), dir))
                .isInstanceOf(ConfigurationException.class)
                .hasMessageStartingWith(file + ": providers.redis.url: environment variable REDIS_URL is not set");
    }

    @Test
    void a_list_item_is_named_by_its_index() throws IOException {
        Path file = write("providers:\n  redis:\n    nodes: [a, \"${NODE_B}\"]\n");

        assertThatThrownBy(() -> ConfigLoader.load(file, Map.of(), dir))
                .hasMessageContaining("providers.redis.nodes[1]: environment variable NODE_B is not set");
    }

    @Test
    void a_substituted_value_of_the_wrong_type_is_reported_as_such() throws IOException {
        Path file = write("watch:\n  batchSize: ${BATCH}\n");

        assertThatThrownBy(() -> ConfigLoader.load(file, Map.of("BATCH", "big"), dir))
                .isInstanceOf(ConfigurationException.class)
                .hasMessage(file + ": watch.batchSize: expected an integer, got 'big'");
    }

    @Test
    void an_escaped_reference_reaches_the_provider_literally() throws IOException {
        Path file = write("providers:\n  redis:\n    keyPrefix: \"$${tenant}:\"\n");

        assertThat(ConfigLoader.load(file, Map.of("tenant", "nope"), dir).providerOptions("redis").raw("keyPrefix"))
                .isEqualTo("${tenant}:");
    }

    private Path write(String content) throws IOException {
        return Files.writeString(dir.resolve("engram.yaml"), content);
    }
}
