package dev.engram.core.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.engram.core.ConfigurationException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.assertj.core.api.AbstractThrowableAssert;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Secrets reach the providers intact, and never a {@code toString()} or an error message. */
class ConfigSecretsTest {

    private static final String SECRET = "hunter2-s3cr3t";

    @TempDir
    Path dir;

    @Test
    void the_config_prints_provider_options_masked() throws IOException {
        Path file = write("""
                provider: redis
                providers:
                  redis:
                    url: redis://app:${REDIS_PASSWORD}@cache:6379/0
                    password: ${REDIS_PASSWORD}
                    auth:
                      apiKey: ${REDIS_PASSWORD}
                  postgres:
                    accessKey: ${REDIS_PASSWORD}
                    user: engram
                """);

        EngramConfig config = ConfigLoader.load(file, Map.of("REDIS_PASSWORD", SECRET), dir);

        assertThat(config.providerOptions("redis").raw("password")).as("the provider still gets the secret").isEqualTo(SECRET);
        assertThat(config.toString())
                .doesNotContain(SECRET)
                .contains("url=redis://app:****@cache:6379/0", "password=****", "auth.apiKey=****", "accessKey=****", "user=engram");
        assertThat(config.providerOptions("redis").toString()).doesNotContain(SECRET);
    }

    @Test
    void a_secret_set_from_the_environment_is_masked_too() {
        EngramConfig config = ConfigLoader.load(null, Map.of("ENGRAM_PROVIDERS_REDIS_PASSWORD", SECRET,
                "ENGRAM_PROVIDERS_OPENAI_API_KEY", SECRET), dir);

        assertThat(config.providerOptions("redis").raw("password")).isEqualTo(SECRET);
        assertThat(config.providerOptions("openai").raw("apiKey")).isEqualTo(SECRET);
        assertThat(config.toString()).doesNotContain(SECRET).contains("password=****", "apiKey=****");
    }

    @Test
    void a_provider_section_that_is_a_url_with_a_password_is_masked_in_the_error() throws IOException {
        Path file = write("providers:\n  redis: redis://app:" + SECRET + "@cache:6379\n");

        assertThatFails(file).hasMessageContaining("providers.redis: expected a mapping of options, got 'redis://app:****@cache:6379'");
    }

    @Test
    void invalid_yaml_on_a_secret_line_does_not_quote_the_line() throws IOException {
        Path file = write("providers:\n  redis:\n    password: " + SECRET + ": oops\n");

        assertThatFails(file).hasMessageContaining("invalid YAML at line 3");
    }

    @Test
    void a_secret_set_twice_is_named_but_not_shown() throws IOException {
        Path file = write("providers:\n  redis:\n    password: " + SECRET + "\n    password: other\n");

        assertThatFails(file).hasMessageContaining("providers.redis.password: is set twice");
    }

    @ParameterizedTest
    @ValueSource(strings = {"password", "clientSecret", "apiKey", "privateKey", "authToken"})
    void reading_a_secret_option_that_does_not_parse_does_not_show_it(String name) {
        ProviderOptions options = new ProviderOptions("redis", Map.of(name, SECRET));

        assertThatThrownBy(() -> options.get(Option.integer(name, null)))
                .isInstanceOf(ConfigurationException.class)
                .hasMessage("redis." + name + ": cannot read (masked)")
                .hasNoCause();
    }

    @Test
    void reading_an_option_marked_sensitive_does_not_show_it() {
        ProviderOptions options = new ProviderOptions("redis", Map.of("database", SECRET));

        assertThatThrownBy(() -> options.get(Option.integer("database", null).sensitive()))
                .hasMessage("redis.database: cannot read (masked)")
                .hasNoCause();
    }

    @Test
    void reading_a_url_option_that_does_not_parse_masks_its_password() {
        ProviderOptions options = new ProviderOptions("redis", Map.of("port", "redis://a:" + SECRET + "@h"));

        assertThatThrownBy(() -> options.get(Option.integer("port", null)))
                .hasMessage("redis.port: cannot read 'redis://a:****@h'")
                .hasNoCause();
    }

    @Test
    void reading_an_ordinary_option_that_does_not_parse_shows_it() {
        ProviderOptions options = new ProviderOptions("redis", Map.of("database", "zero"));

        assertThatThrownBy(() -> options.get(Option.integer("database", null)))
                .hasMessageStartingWith("redis.database: cannot read 'zero'");
    }

    private AbstractThrowableAssert<?, ? extends Throwable> assertThatFails(Path file) {
        ConfigurationException e = catchThrowableOfType(ConfigurationException.class, () -> ConfigLoader.load(file, Map.of(), dir));
        assertThat(e).as("loading fails").isNotNull();
        // a logged stack trace prints every cause's message too
        for (Throwable t = e; t != null; t = t.getCause()) {
            assertThat(String.valueOf(t.getMessage())).doesNotContain(SECRET);
        }
        return assertThat(e);
    }

    private Path write(String content) throws IOException {
        return Files.writeString(dir.resolve("engram.yaml"), content);
    }
}
