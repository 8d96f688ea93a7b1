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

class ConfigLoaderTest {

    @TempDir
    Path dir;

    // ---- which file ---------------------------------------------------------------------------------------------

    @Test
    void without_a_file_the_defaults_are_used() {
        assertThat(ConfigLoader.load(null, Map.of(), dir)).isEqualTo(EngramConfig.defaults());
    }

    @Test
    void engram_yaml_in_the_working_directory_is_read() throws IOException {
        write("engram.yaml", "provider: memory\n");

        assertThat(ConfigLoader.load(null, Map.of(), dir).provider()).isEqualTo("memory");
    }

    @Test
    void engram_config_names_the_file_instead_of_engram_yaml() throws IOException {
        write("engram.yaml", "provider: memory\n");
        write("conf/other.yaml", "provider: redis\n");

        EngramConfig config = ConfigLoader.load(null, Map.of("ENGRAM_CONFIG", "conf/other.yaml"), dir);

        assertThat(config.provider()).isEqualTo("redis");
    }

    @Test
    void an_explicit_file_wins_over_engram_config() throws IOException {
        Path explicit = write("explicit.yaml", "provider: explicit\n");
        write("other.yaml", "provider: other\n");

        assertThat(ConfigLoader.load(explicit, Map.of("ENGRAM_CONFIG", "other.yaml"), dir).provider()).isEqualTo("explicit");
    }

    @Test
    void an_explicit_file_that_does_not_exist_fails_naming_it() {
        Path missing = dir.resolve("nope.yaml");

        assertThatThrownBy(() -> ConfigLoader.load(missing, Map.of(), dir))
                .isInstanceOf(ConfigurationException.class)
                .hasMessageContaining(missing.toAbsolutePath().toString())
                .hasMessageContaining("does not exist");
    }

    @Test
    void a_file_named_by_engram_config_that_does_not_exist_fails_naming_it_and_the_variable() {
        assertThatThrownBy(() -> ConfigLoader.load(null, Map.of("ENGRAM_CONFIG", "gone.yaml"), dir))
                .isInstanceOf(ConfigurationException.class)
                .hasMessageContaining(dir.resolve("gone.yaml").toAbsolutePath().toString())
                .hasMessageContaining("ENGRAM_CONFIG");
    }

    @Test
    void a_directory_is_not_a_configuration_file() throws IOException {
        Files.createDirectories(dir.resolve("engram.yaml"));

        assertThatThrownBy(() -> ConfigLoader.load(null, Map.of(), dir))
                .isInstanceOf(ConfigurationException.class)
                .hasMessageContaining("is not a regular file");
    }

    @Test
    void an_empty_file_means_the_defaults() throws IOException {
        Path file = write("engram.yaml", "# nothing configured yet\n");

        assertThat(ConfigLoader.load(file, Map.of(), dir)).isEqualTo(EngramConfig.defaults());
    }

    @Test
    void engram_config_load_reads_the_given_file() throws IOException {
        Path file = write("engram.yaml", "cache:\n  maxThreads: 7\n");

        // public entry point; the process environment may add overrides, but not this one
        assertThat(EngramConfig.load(file).cacheMaxThreads()).isEqualTo(7);
    }

    // ---- sections -----------------------------------------------------------------------------------------------

    @Test
    void every_section_of_the_documented_example_is_read() throws IOException {
        Path file = write("engram.yaml", """
                provider: redis
                strict: true
                providers:
                  local:
                    dataDir: ./data
                    sync: interval
                    syncInterval: 100ms
                  memory: {}
                  redis:
                    url: ${REDIS_URL:-redis://127.0.0.1:6379}
                    keyPrefix: "engram:"
                limits:
                  maxEventBytes: 2MiB
                  maxEventsPerAppend: 500
                checkpoints:
                  everyEvents: 50
                  tailBytes: 512KiB
                  keep: 5
                  deleteCoveredEvents: true
                watch:
                  maxLag: 2000
                  batchSize: 64
                threads:
                  ttl: 30d
                cache:
                  maxThreads: 123
                """);

        EngramConfig config = ConfigLoader.load(file, Map.of(), dir);

        assertThat(config.provider()).isEqualTo("redis");
        assertThat(config.strict()).isTrue();
        assertThat(config.providers()).containsOnlyKeys("local", "memory", "redis");
        assertThat(config.providerOptions("local").asMap())
                .containsExactly(entry("dataDir", "./data"), entry("sync", "interval"), entry("syncInterval", "100ms"));
        assertThat(config.providerOptions("local").get(Option.duration("syncInterval", null))).isEqualTo(Duration.ofMillis(100));
        assertThat(config.providerOptions("memory").asMap()).isEmpty();
        assertThat(config.providerOptions("redis").section()).isEqualTo("redis");
        assertThat(config.providerOptions("redis").asMap())
                .containsExactly(entry("keyPrefix", "engram:"), entry("url", "redis://127.0.0.1:6379"));
        assertThat(config.limits()).isEqualTo(new Limits(2 * 1024 * 1024, 500));
        assertThat(config.checkpoints()).isEqualTo(new CheckpointPolicy(50, 512 * 1024, 5, true));
        assertThat(config.watch()).isEqualTo(new WatchSettings(2000, 64));
        assertThat(config.threadTtl()).isEqualTo(Duration.ofDays(30));
        assertThat(config.cacheMaxThreads()).isEqualTo(123);
    }

    @Test
    void keys_left_out_keep_their_defaults() throws IOException {
        Path file = write("engram.yaml", """
                limits:
                  maxEventsPerAppend: 10
                checkpoints:
                  keep: 1
                watch:
                threads: {}
                """);

        EngramConfig config = ConfigLoader.load(file, Map.of(), dir);

        assertThat(config.provider()).isEqualTo("local");
        assertThat(config.strict()).isFalse();
        assertThat(config.limits()).isEqualTo(new Limits(Limits.DEFAULT_MAX_EVENT_BYTES, 10));
        assertThat(config.checkpoints())
                .isEqualTo(new CheckpointPolicy(CheckpointPolicy.DEFAULT_EVERY_EVENTS, CheckpointPolicy.DEFAULT_TAIL_BYTES, 1, false));
        assertThat(config.watch()).isEqualTo(WatchSettings.defaults());
        assertThat(config.threadTtl()).as("absent ttl: threads never expire").isNull();
        assertThat(config.cacheMaxThreads()).isEqualTo(EngramConfig.DEFAULT_CACHE_MAX_THREADS);
    }

    @ParameterizedTest(name = "maxEventBytes: {0} = {1}")
    @CsvSource(delimiter = '|', value = {
            "65536      | 65536",
            "64KiB      | 65536",
            "'2 MiB'    | 2097152",
            "1_048_576  | 1048576",
            "1mb        | 1000000",
            "1GiB       | 1073741824",
    })
    void sizes_are_read_with_units(String yaml, long expected) throws IOException {
        Path file = write("engram.yaml", "limits:\n  maxEventBytes: " + yaml + "\n");

        assertThat(ConfigLoader.load(file, Map.of(), dir).limits().maxEventBytes()).isEqualTo(expected);
    }

    @ParameterizedTest(name = "ttl: {0} = {1}")
    @CsvSource(delimiter = '|', value = {
            "90s      | PT1M30S",
            "12h      | PT12H",
            "30d      | PT720H",
            "250ms    | PT0.25S",
            "PT36H    | PT36H",
            "1500     | PT1.5S",
    })
    void durations_are_read_with_units(String yaml, Duration expected) throws IOException {
        Path file = write("engram.yaml", "threads:\n  ttl: " + yaml + "\n");

        assertThat(ConfigLoader.load(file, Map.of(), dir).threadTtl()).isEqualTo(expected);
    }

    @Test
    void a_ttl_of_never_means_threads_do_not_expire() throws IOException {
        Path file = write("engram.yaml", "threads:\n  ttl: never\n");

        assertThat(ConfigLoader.load(file, Map.of(), dir).threadTtl()).isNull();
    }

    @Test
    void booleans_accept_the_usual_spellings() throws IOException {
        Path file = write("engram.yaml", "strict: yes\ncheckpoints:\n  deleteCoveredEvents: off\n");

        EngramConfig config = ConfigLoader.load(file, Map.of(), dir);

        assertThat(config.strict()).isTrue();
        assertThat(config.checkpoints().deleteCoveredEvents()).isFalse();
    }

    @Test
    void provider_sections_are_flattened_to_text_as_written() throws IOException {
        Path file = write("engram.yaml", """
                providers:
                  postgres:
                    password: 0123
                    version: 1.10
                    enabled: on
                    pool:
                      maxSize: 20
                      idle:
                        timeout: 5m
                    hosts: [db1:5432, db2:5432]
                    optional: ~
                    "ssl.mode": require
                  memory:
                """);

        EngramConfig config = ConfigLoader.load(file, Map.of(), dir);

        assertThat(config.providerOptions("postgres").asMap()).containsOnly(
                entry("password", "0123"),
                entry("version", "1.10"),
                entry("enabled", "on"),
                entry("pool.maxSize", "20"),
                entry("pool.idle.timeout", "5m"),
                entry("hosts", "db1:5432,db2:5432"),
                entry("ssl.mode", "require"));
        assertThat(config.providers()).containsKey("memory");
        assertThat(config.providerOptions("memory").asMap()).isEmpty();
    }

    // ---- unknown keys -------------------------------------------------------------------------------------------

    @Test
    void an_unknown_top_level_key_is_rejected_naming_it_and_the_known_ones() throws IOException {
        Path file = write("engram.yaml", "provider: local\nlimts:\n  maxEventBytes: 1MiB\n");

        assertThatThrownBy(() -> ConfigLoader.load(file, Map.of(), dir))
                .isInstanceOf(ConfigurationException.class)
                .hasMessageStartingWith(file.toString())
                .hasMessageContaining("unknown key 'limts' at the top level")
                .hasMessageContaining("known keys: cache, checkpoints, limits, memory, provider, providers, server, strict, threads, watch");
    }

    @ParameterizedTest(name = "{0}.{1}")
    @CsvSource({
            "limits, maxEventByte",
            "checkpoints, every",
            "watch, maxlag",
            "threads, tll",
            "cache, maxThread",
    })
    void an_unknown_key_inside_a_section_is_rejected_naming_its_path(String section, String key) throws IOException {
        Path file = write("engram.yaml", section + ":\n  " + key + ": 1\n");

        assertThatThrownBy(() -> ConfigLoader.load(file, Map.of(), dir))
                .isInstanceOf(ConfigurationException.class)
                .hasMessageContaining(section + "." + key + ": unknown key '" + key + "' in " + section);
    }

    @Test
    void a_key_set_twice_is_rejected() throws IOException {
        Path file = write("engram.yaml", "limits:\n  maxEventBytes: 1MiB\n  maxEventBytes: 2MiB\n");

        assertThatThrownBy(() -> ConfigLoader.load(file, Map.of(), dir))
                .isInstanceOf(ConfigurationException.class)
                .hasMessageContaining("limits.maxEventBytes: is set twice (again at line 3)");
    }

    @Test
    void a_provider_option_set_both_dotted_and_nested_is_rejected() throws IOException {
        Path file = write("engram.yaml", "providers:\n  redis:\n    pool.size: 1\n    pool:\n      size: 2\n");

        assertThatThrownBy(() -> ConfigLoader.load(file, Map.of(), dir))
                .isInstanceOf(ConfigurationException.class)
                .hasMessageContaining("providers.redis.pool.size: is set twice");
    }

    // ---- wrong types --------------------------------------------------------------------------------------------

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', quoteCharacter = '"', value = {
            "limits:\\n  maxEventsPerAppend: lots  | limits.maxEventsPerAppend: expected an integer, got 'lots'",
            "limits:\\n  maxEventsPerAppend: 1.5   | limits.maxEventsPerAppend: expected an integer, got '1.5'",
            "watch:\\n  maxLag: 99999999999       | watch.maxLag: expected an integer, got '99999999999'",
            "limits:\\n  maxEventBytes: 1 parsec  | limits.maxEventBytes: expected a size such as 65536, 512KiB or 1MiB, got '1 parsec'",
            "checkpoints:\\n  tailBytes: -5       | checkpoints.tailBytes: expected a size such as 65536, 512KiB or 1MiB, got '-5'",
            "strict: maybe                        | strict: expected true or false, got 'maybe'",
            "threads:\\n  ttl: soon               | threads.ttl: expected a duration such as 90s, 12h, 30d or PT36H, or 'never', got 'soon'",
            "limits: 5                            | limits: expected a mapping of options, got '5'",
            "cache: [1, 2]                        | cache: expected a mapping of options, got a list",
            "provider: [a, b]                     | provider: expected a single value, got a list",
            "cache:\\n  maxThreads: {a: 1}        | cache.maxThreads: expected a single value, got a mapping",
            "providers: [redis]                   | providers: expected a mapping from provider name to its options, got a list",
            "providers:\\n  redis: fast           | providers.redis: expected a mapping of options, got 'fast'",
            "providers:\\n  redis:\\n    nodes: [{host: a}] | providers.redis.nodes: expected a list of single values, got a list holding a mapping",
    })
    void a_value_of_the_wrong_type_is_rejected_naming_path_and_value(String yaml, String message) throws IOException {
        Path file = write("engram.yaml", yaml.replace("\\n", "\n") + "\n");

        assertThatThrownBy(() -> ConfigLoader.load(file, Map.of(), dir))
                .isInstanceOf(ConfigurationException.class)
                .hasMessage(file + ": " + message);
    }

    @Test
    void a_value_out_of_range_is_rejected_naming_the_file_and_the_key() throws IOException {
        Path file = write("engram.yaml", "checkpoints:\n  keep: 0\n");

        assertThatThrownBy(() -> ConfigLoader.load(file, Map.of(), dir))
                .isInstanceOf(ConfigurationException.class)
                .hasMessage(file + ": checkpoints.keep must be at least 1, got 0");
    }

    @Test
    void a_top_level_that_is_not_a_mapping_is_rejected() throws IOException {
        Path file = write("engram.yaml", "- provider\n- local\n");

        assertThatThrownBy(() -> ConfigLoader.load(file, Map.of(), dir))
                .isInstanceOf(ConfigurationException.class)
                .hasMessage(file + ": expected a mapping of options at the top level, got a list");
    }

    @Test
    void invalid_yaml_is_rejected_with_its_line() throws IOException {
        Path file = write("engram.yaml", "provider: local\nlimits:\n  maxEventBytes: 1MiB\n   keep: [\n");

        assertThatThrownBy(() -> ConfigLoader.load(file, Map.of(), dir))
                .isInstanceOf(ConfigurationException.class)
                .hasMessageStartingWith(file + ": invalid YAML at line 4");
    }

    @Test
    void a_second_document_is_rejected() throws IOException {
        Path file = write("engram.yaml", "provider: local\n---\nprovider: memory\n");

        assertThatThrownBy(() -> ConfigLoader.load(file, Map.of(), dir))
                .isInstanceOf(ConfigurationException.class)
                .hasMessageContaining("more than one YAML document");
    }

    private Path write(String name, String content) throws IOException {
        Path file = dir.resolve(name);
        Files.createDirectories(file.getParent());
        return Files.writeString(file, content);
    }
}
