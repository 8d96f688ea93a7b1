package dev.engram.backend.postgres;

import dev.engram.core.config.EngramConfig;
import dev.engram.tck.BackendUnderTest;
import dev.engram.tck.DurabilityKit;
import dev.engram.tck.EngramConformanceKit;
import dev.engram.tck.SharedStorageKit;
import dev.engram.tck.TestStorage;
import java.time.Duration;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.wait.strategy.Wait;
import org.testcontainers.junit.jupiter.Container;
import org.testcontainers.junit.jupiter.Testcontainers;

/** The conformance kit against PostgreSQL 16 in a container, where Docker exists; skipped where it does not. */
@Testcontainers(disabledWithoutDocker = true)
class PostgresContainerConformanceIT implements EngramConformanceKit, SharedStorageKit, DurabilityKit {

    @Container
    @SuppressWarnings("resource")
    static final GenericContainer<?> POSTGRES = new GenericContainer<>("postgres:16")
            .withEnv("POSTGRES_HOST_AUTH_METHOD", "trust")
            .withExposedPorts(5432)
            // the image starts the server twice (init, then for real): wait for the second
            .waitingFor(Wait.forLogMessage(".*database system is ready to accept connections.*\\s", 2)
                    .withStartupTimeout(Duration.ofMinutes(2)));

    @Override
    public BackendUnderTest backend() {
        return () -> TestStorage.of(EngramConfig.defaults().withProvider(PostgresProvider.NAME)
                .withProviderOption(PostgresProvider.NAME, "url",
                        "postgresql://postgres@" + POSTGRES.getHost() + ":" + POSTGRES.getMappedPort(5432) + "/postgres")
                .withProviderOption(PostgresProvider.NAME, "schema", LocalPostgres.newSchema()));
    }
}
