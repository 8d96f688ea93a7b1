package dev.engram.backend.postgres;

import dev.engram.tck.BackendUnderTest;
import dev.engram.tck.DurabilityKit;
import dev.engram.tck.EngramConformanceKit;
import dev.engram.tck.SharedStorageKit;
import dev.engram.tck.TestStorage;
import org.junit.jupiter.api.BeforeAll;

/** The whole conformance kit against the machine's PostgreSQL, in a schema of its own per test, dropped afterwards. */
class PostgresConformanceIT implements EngramConformanceKit, SharedStorageKit, DurabilityKit {

    @BeforeAll
    static void requireServer() {
        LocalPostgres.requireRunning();
    }

    @Override
    public BackendUnderTest backend() {
        return () -> {
            String schema = LocalPostgres.newSchema();
            return new TestStorage(LocalPostgres.config(schema), () -> LocalPostgres.dropSchema(schema));
        };
    }
}
