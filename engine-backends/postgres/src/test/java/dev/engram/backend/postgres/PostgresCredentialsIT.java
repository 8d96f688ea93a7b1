package dev.engram.backend.postgres;

import static org.assertj.core.api.Assertions.assertThat;

import dev.engram.core.ConfigurationException;
import dev.engram.core.model.ExpectedVersion;
import dev.engram.core.model.ThreadKey;
import dev.engram.core.spi.Backend;
import dev.engram.core.spi.EventRecord;
import dev.engram.core.spi.LogAppend;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import reactor.test.StepVerifier;

/**
 * What the server refuses about the configuration itself (the user, its privileges, the database) fails at once with
 * a {@link ConfigurationException} naming the SQLSTATE, not as a transient failure to retry.
 */
class PostgresCredentialsIT {

    private final String schema = LocalPostgres.newSchema();
    private final String role = "engram_reader_" + Long.toString(ThreadLocalRandom.current().nextLong() & Long.MAX_VALUE, 36);

    @BeforeEach
    void requireServer() {
        LocalPostgres.requireRunning();
    }

    @AfterEach
    void dropSchemaAndRole() {
        LocalPostgres.dropSchema(schema);
        LocalPostgres.sql("DROP ROLE IF EXISTS " + role);
    }

    @Test
    void anUnknownUserIsAConfigurationError() {
        refused(Map.of("url", "postgresql://" + role + "@" + LocalPostgres.HOST + ":" + LocalPostgres.PORT + "/" + LocalPostgres.DATABASE), "[28");
    }

    @Test
    void anUnknownDatabaseIsAConfigurationError() {
        refused(Map.of("url", "postgresql://postgres@" + LocalPostgres.HOST + ":" + LocalPostgres.PORT + "/no_such_database_for_engram"), "[3D000]");
    }

    @Test
    void aUserWithoutPrivilegesOnTheSchemaIsAConfigurationError() {
        Backend owner = LocalPostgres.backend(schema, Map.of());
        try {
            assertThat(owner.events().append(append()).block().lastVersion()).as("the schema is migrated and written by its owner").isEqualTo(1);
        } finally {
            owner.close().block();
        }
        LocalPostgres.sql("CREATE ROLE " + role + " LOGIN");
        refused(Map.of("username", role), "[42501]");
    }

    private void refused(Map<String, String> options, String state) {
        Backend backend = LocalPostgres.backend(schema, options);
        try {
            StepVerifier.create(backend.events().append(append()))
                    .expectErrorSatisfies(e -> assertThat(e).isInstanceOf(ConfigurationException.class)
                            .hasMessageContaining("refused the configuration").hasMessageContaining(state))
                    .verify(Duration.ofSeconds(20));
        } finally {
            backend.close().block();
        }
    }

    private static LogAppend append() {
        return new LogAppend(ThreadKey.of("refused"), ExpectedVersion.any(), List.of(new EventRecord(0, UUID.randomUUID(), "t", 1, new byte[] {1})),
                Map.of(), null, System.currentTimeMillis());
    }
}
