package dev.engram.core.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.entry;

import dev.engram.core.ConfigurationException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class EnvOverridesTest {

    @TempDir
    Path dir;

    @Test
    void each_named_variable_overrides_the_file() throws IOException {
        Path file = write("""
                provider: memory
                strict: false
                providers:
                  local:
                    dataDir: ./data
                    sync: always
                    syncInterval: 100ms
                threads:
                  ttl: 1d
                """);
        Map<String, String> env = Map.of(
                "ENGRAM_PROVIDER", "redis",
                "ENGRAM_STRICT", "true",
                "ENGRAM_DATA_DIR", "/var/lib/engram",
                "ENGRAM_SYNC", "never",
                "ENGRAM_THREAD_TTL", "7d");

        EngramConfig config = ConfigLoader.load(file, env, dir);

        assertThat(config.provider()).isEqualTo("redis");
        assertThat(config.strict()).isTrue();
        assertThat(config.providerOptions("local").asMap())
                .containsExactly(entry("dataDir", "/var/lib/engram"), entry("sync", "never"), entry("syncInterval", "100ms"));
        assertThat(config.threadTtl()).isEqualTo(Duration.ofDays(7));
    }

    @Test
    void variables_apply_without_a_file_too() {
        EngramConfig config = ConfigLoader.load(null, Map.of("ENGRAM_PROVIDER", "memory", "ENGRAM_DATA_DIR", "/d"), dir);

        assertThat(config.provider()).isEqualTo("memory");
        assertThat(config.providerOptions("local").raw("dataDir")).isEqualTo("/d");
        assertThat(config.limits()).isEqualTo(Limits.defaults());
    }

    @ParameterizedTest(name = "{0} -> providers.{1}.{2}")
    @CsvSource({
            "ENGRAM_PROVIDERS_REDIS_URL, redis, url",
            "ENGRAM_PROVIDERS_REDIS_KEY_PREFIX, redis, keyPrefix",
            "ENGRAM_PROVIDERS_POSTGRES_POOL__MAX_SIZE, postgres, pool.maxSize",
            "ENGRAM_PROVIDERS_MONGODB_READ_PREFERENCE__MAX_STALENESS_SECONDS, mongodb, readPreference.maxStalenessSeconds",
            "ENGRAM_PROVIDERS_LOCAL_DATA_DIR, local, dataDir",
    })
    void a_generic_variable_sets_one_provider_option_in_lower_camel_case(String variable, String provider, String option) {
        EngramConfig config = ConfigLoader.load(null, Map.of(variable, "value-1"), dir);

        assertThat(config.providerOptions(provider).asMap()).containsExactly(entry(option, "value-1"));
        assertThat(config.providerOptions(provider).section()).isEqualTo(provider);
    }

    @Test
    void a_generic_variable_overrides_the_file_and_keeps_the_other_options() throws IOException {
        Path file = write("providers:\n  redis:\n    url: redis://file:6379\n    keyPrefix: a\n");

        EngramConfig config = ConfigLoader.load(file, Map.of("ENGRAM_PROVIDERS_REDIS_URL", "redis://env:6379"), dir);

        assertThat(config.providerOptions("redis").asMap())
                .containsExactly(entry("keyPrefix", "a"), entry("url", "redis://env:6379"));
    }

    @Test
    void the_named_variables_win_over_the_generic_ones() {
        Map<String, String> env = Map.of("ENGRAM_PROVIDERS_LOCAL_DATA_DIR", "/generic", "ENGRAM_DATA_DIR", "/named",
                "ENGRAM_PROVIDERS_LOCAL_SYNC", "always", "ENGRAM_SYNC", "interval");

        EngramConfig config = ConfigLoader.load(null, env, dir);

        assertThat(config.providerOptions("local").asMap()).containsExactly(entry("dataDir", "/named"), entry("sync", "interval"));
    }

    @Test
    void blank_variables_are_ignored() throws IOException {
        Path file = write("provider: memory\nthreads:\n  ttl: 1h\n");
        Map<String, String> env = Map.of("ENGRAM_PROVIDER", "", "ENGRAM_STRICT", " ", "ENGRAM_THREAD_TTL", "",
                "ENGRAM_PROVIDERS_REDIS_URL", "");

        EngramConfig config = ConfigLoader.load(file, env, dir);

        assertThat(config.provider()).isEqualTo("memory");
        assertThat(config.strict()).isFalse();
        assertThat(config.threadTtl()).isEqualTo(Duration.ofHours(1));
        assertThat(config.providers()).doesNotContainKey("redis");
    }

    @Test
    void a_ttl_of_never_clears_the_file_ttl() throws IOException {
        Path file = write("threads:\n  ttl: 1h\n");

        assertThat(ConfigLoader.load(file, Map.of("ENGRAM_THREAD_TTL", "never"), dir).threadTtl()).isNull();
    }

    @Test
    void variable_values_are_taken_literally() {
        EngramConfig config = ConfigLoader.load(null, Map.of("ENGRAM_PROVIDERS_REDIS_KEY_PREFIX", "${X}:", "X", "no"), dir);

        assertThat(config.providerOptions("redis").raw("keyPrefix")).isEqualTo("${X}:");
    }

    @Test
    void other_variables_are_left_alone() {
        EngramConfig config = ConfigLoader.load(null, Map.of("ENGRAM_PORT", "8080", "PATH", "/bin", "engram_provider", "redis"), dir);

        assertThat(config).isEqualTo(EngramConfig.defaults());
    }

    @ParameterizedTest(name = "{0}={1}")
    @CsvSource(delimiter = '|', quoteCharacter = '"', value = {
            "ENGRAM_STRICT     | maybe | environment: ENGRAM_STRICT: expected true or false, got 'maybe'",
            "ENGRAM_THREAD_TTL | soon  | environment: ENGRAM_THREAD_TTL: expected a duration such as 90s, 12h, 30d or PT36H, or 'never', got 'soon'",
            "ENGRAM_THREAD_TTL | 0s    | environment: threads.ttl must be positive, got PT0S",
    })
    void a_bad_value_fails_naming_the_variable_and_the_value(String variable, String value, String message) {
        assertThatThrownBy(() -> ConfigLoader.load(null, Map.of(variable, value), dir))
                .isInstanceOf(ConfigurationException.class)
                .hasMessage(message);
    }

    @ParameterizedTest
    @CsvSource({"ENGRAM_PROVIDERS_REDIS", "ENGRAM_PROVIDERS_REDIS_", "ENGRAM_PROVIDERS__URL", "ENGRAM_PROVIDERS_REDIS_KEY___PREFIX"})
    void a_malformed_generic_variable_fails_naming_it(String variable) {
        assertThatThrownBy(() -> ConfigLoader.load(null, Map.of(variable, "x"), dir))
                .isInstanceOf(ConfigurationException.class)
                .hasMessageStartingWith("environment: " + variable + ": ");
    }

    private Path write(String content) throws IOException {
        return Files.writeString(dir.resolve("engram.yaml"), content);
    }
}
