package dev.engram.backend.mongodb;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.engram.core.ConfigurationException;
import dev.engram.core.config.ProviderOptions;
import dev.engram.core.spi.BackendContext;
import dev.engram.core.spi.BackendProviders;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

class MongoSettingsTest {

    private static MongoSettings settings(Map<String, String> values) {
        return MongoSettings.from(new ProviderOptions("mongodb", values));
    }

    @Test
    void defaults() {
        MongoSettings s = settings(Map.of());
        assertThat(s.url()).isEqualTo("mongodb://127.0.0.1:27017");
        assertThat(s.database()).isEqualTo("engram");
        assertThat(s.collectionPrefix()).isEqualTo("engram_");
        assertThat(s.pollInterval()).isEqualTo(Duration.ofMillis(100));
        assertThat(s.changeFeed()).isEqualTo(MongoSettings.ChangeFeedMode.AUTO);
        assertThat(s.clientSettings().getConnectionPoolSettings().getMaxSize()).isEqualTo(50);
    }

    @Test
    void readsEveryOption() {
        MongoSettings s = settings(Map.ofEntries(Map.entry("url", "mongodb+srv://cluster.example.com/"), Map.entry("database", "d1"),
                Map.entry("collectionPrefix", "p_"), Map.entry("username", "u"), Map.entry("password", "secret"),
                Map.entry("maxPoolSize", "7"), Map.entry("tls", "true"), Map.entry("tlsVerifyHostname", "false"),
                Map.entry("connectTimeout", "3s"), Map.entry("serverSelectionTimeout", "4s"), Map.entry("commandTimeout", "5s"),
                Map.entry("pollInterval", "250ms"), Map.entry("changeFeed", "poll"), Map.entry("ttlGrace", "0s")));
        assertThat(s.clientSettings().getSslSettings().isEnabled()).isTrue();
        assertThat(s.clientSettings().getSslSettings().isInvalidHostNameAllowed()).isTrue();
        assertThat(s.clientSettings().getCredential().getUserName()).isEqualTo("u");
        assertThat(s.clientSettings().getConnectionPoolSettings().getMaxSize()).isEqualTo(7);
        assertThat(s.changeFeed()).isEqualTo(MongoSettings.ChangeFeedMode.POLL);
        assertThat(s.ttlGrace()).isZero();
    }

    @Test
    void refusesInvalidOptionsWithoutQuotingSecrets() {
        assertThatThrownBy(() -> settings(Map.of("url", "http://u:hunter2@host"))).isInstanceOf(ConfigurationException.class)
                .hasMessageContaining("mongodb://").hasMessageNotContaining("hunter2");
        assertThatThrownBy(() -> settings(Map.of("url", "mongodb://u:hunter2@host:notaport"))).isInstanceOf(ConfigurationException.class)
                .hasMessageNotContaining("hunter2");
        assertThatThrownBy(() -> settings(Map.of("database", "a.b"))).isInstanceOf(ConfigurationException.class);
        assertThatThrownBy(() -> settings(Map.of("collectionPrefix", "a$"))).isInstanceOf(ConfigurationException.class);
        assertThatThrownBy(() -> settings(Map.of("maxPoolSize", "0"))).isInstanceOf(ConfigurationException.class);
        assertThatThrownBy(() -> settings(Map.of("pollInterval", "0ms"))).isInstanceOf(ConfigurationException.class);
        assertThatThrownBy(() -> settings(Map.of("changeFeed", "sometimes"))).isInstanceOf(ConfigurationException.class);
        assertThatThrownBy(() -> settings(Map.of("password", "x"))).isInstanceOf(ConfigurationException.class)
                .hasMessageNotContaining("x'");
        assertThat(new ProviderOptions("mongodb", Map.of("password", "hunter2", "url", "mongodb://u:hunter2@h")).toString())
                .doesNotContain("hunter2");
    }

    @Test
    void isFoundByNameAndCreatesLazily() {
        assertThat(BackendProviders.available(getClass().getClassLoader())).anyMatch(p -> p.name().equals("mongodb"));
        var backend = new MongoProvider().create(new BackendContext(new ProviderOptions("mongodb", Map.of()), Clock.systemUTC()));
        assertThat(backend.capabilities()).hasSize(2);
        backend.close().block();
    }

    @Test
    void metadataKeysMapToFieldNamesAndBack() {
        for (String key : new String[] {"plain", "a.b", "$x", "100%", "%2E", "a\0b", "."}) {
            String field = MetadataFields.encode(key);
            assertThat(field).doesNotContain(".").doesNotStartWith("$").doesNotContain("\0");
            assertThat(MetadataFields.decode(field)).isEqualTo(key);
        }
    }
}
