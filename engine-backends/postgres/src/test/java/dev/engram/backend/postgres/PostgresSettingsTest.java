package dev.engram.backend.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.engram.core.ConfigurationException;
import dev.engram.core.config.ProviderOptions;
import dev.engram.core.spi.BackendProvider;
import java.time.Duration;
import java.util.Map;
import java.util.ServiceLoader;
import org.junit.jupiter.api.Test;

class PostgresSettingsTest {

    private static PostgresSettings parse(Map<String, String> options) {
        return PostgresSettings.from(new ProviderOptions("providers.postgres", options));
    }

    @Test
    void defaultsPointAtALocalServer() {
        PostgresSettings s = parse(Map.of());
        assertThat(s.host()).isEqualTo("127.0.0.1");
        assertThat(s.port()).isEqualTo(5432);
        assertThat(s.database()).isEqualTo("postgres");
        assertThat(s.username()).isEqualTo("postgres");
        assertThat(s.password()).isNull();
        assertThat(s.schema()).isEqualTo("engram");
        assertThat(s.channel()).isEqualTo("engram_engram");
        assertThat(s.ssl()).isEqualTo(PostgresSettings.Ssl.DISABLE);
        assertThat(s.poolMaxSize()).isEqualTo(10);
        assertThat(s.statementTimeout()).isEqualTo(Duration.ofSeconds(30));
    }

    @Test
    void readsEveryPartOfTheUrl() {
        PostgresSettings s = parse(Map.of("url", "r2dbc:postgresql://app%40corp:s%2Fcr%3At@db.example.com:6543/engram_db?sslmode=verify-full"));
        assertThat(s.username()).isEqualTo("app@corp");
        assertThat(s.password()).isEqualTo("s/cr:t");
        assertThat(s.host()).isEqualTo("db.example.com");
        assertThat(s.port()).isEqualTo(6543);
        assertThat(s.database()).isEqualTo("engram_db");
        assertThat(s.ssl()).isEqualTo(PostgresSettings.Ssl.VERIFY_FULL);
        assertThat(s.toString()).doesNotContain("s/cr:t").contains("****");

        PostgresSettings v6 = parse(Map.of("url", "postgres://[::1]/x"));
        assertThat(v6.host()).isEqualTo("::1");
        assertThat(v6.port()).isEqualTo(5432);
    }

    @Test
    void optionsWinOverTheUrl() {
        PostgresSettings s = parse(Map.of("url", "postgresql://u:p@h/d?sslmode=require", "username", "other", "password", "secret",
                "ssl", "disable", "schema", "tenant_a", "poolInitialSize", "0", "poolMaxSize", "3", "sweepInterval", "0"));
        assertThat(s.username()).isEqualTo("other");
        assertThat(s.password()).isEqualTo("secret");
        assertThat(s.ssl()).isEqualTo(PostgresSettings.Ssl.DISABLE);
        assertThat(s.schema()).isEqualTo("tenant_a");
        assertThat(s.sweepInterval()).isZero();
        assertThat(new ProviderOptions("providers.postgres", Map.of("password", "secret")).toString()).doesNotContain("secret");
    }

    @Test
    void refusesWhatItCannotUse() {
        assertThatThrownBy(() -> parse(Map.of("url", "mysql://h/d"))).isInstanceOf(ConfigurationException.class).hasMessageContaining("url");
        assertThatThrownBy(() -> parse(Map.of("url", "postgresql://u:hunter2@h:99999/d"))).isInstanceOf(ConfigurationException.class)
                .hasMessageNotContaining("hunter2");
        assertThatThrownBy(() -> parse(Map.of("url", "postgresql://u:hunter2@h/d?foo=1"))).isInstanceOf(ConfigurationException.class)
                .hasMessageContaining("foo").hasMessageNotContaining("hunter2");
        assertThatThrownBy(() -> parse(Map.of("schema", "Robert'); DROP TABLE students;--"))).isInstanceOf(ConfigurationException.class)
                .hasMessageContaining("schema");
        assertThatThrownBy(() -> parse(Map.of("schema", "pg_catalog"))).isInstanceOf(ConfigurationException.class);
        assertThatThrownBy(() -> parse(Map.of("schema", "x".repeat(49)))).isInstanceOf(ConfigurationException.class);
        assertThatThrownBy(() -> parse(Map.of("ssl", "maybe"))).isInstanceOf(ConfigurationException.class).hasMessageContaining("verify-full");
        assertThatThrownBy(() -> parse(Map.of("poolMaxSize", "0"))).isInstanceOf(ConfigurationException.class);
        assertThatThrownBy(() -> parse(Map.of("poolInitialSize", "5", "poolMaxSize", "2"))).isInstanceOf(ConfigurationException.class);
        assertThatThrownBy(() -> parse(Map.of("statementTimeout", "0"))).isInstanceOf(ConfigurationException.class);
        assertThatThrownBy(() -> parse(Map.of("poolMaxsize", "4"))).isInstanceOf(ConfigurationException.class)
                .hasMessageContaining("poolMaxsize").hasMessageContaining("poolMaxSize");
    }

    @Test
    void theProviderIsFoundByName() {
        assertThat(ServiceLoader.load(BackendProvider.class).stream().map(p -> p.get().name())).contains("postgres");
    }
}
