package dev.engram.backend.mongodb;

import dev.engram.core.config.EngramConfig;
import dev.engram.tck.BackendUnderTest;
import dev.engram.tck.DurabilityKit;
import dev.engram.tck.EngramConformanceKit;
import dev.engram.tck.SharedStorageKit;
import dev.engram.tck.TestStorage;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/** The whole kit against the in-process wire-protocol server, one database per test. */
class MongoConformanceIT implements EngramConformanceKit, SharedStorageKit, DurabilityKit {

    private static final AtomicInteger DATABASES = new AtomicInteger();
    private static MongoTestServer server;

    @BeforeAll
    static void startServer() {
        server = MongoTestServer.start();
    }

    @AfterAll
    static void stopServer() {
        server.close();
    }

    @Override
    public BackendUnderTest backend() {
        return () -> TestStorage.of(EngramConfig.defaults().withProvider(MongoProvider.NAME)
                .withProviderOption("mongodb", "url", server.url())
                .withProviderOption("mongodb", "database", "tck" + DATABASES.incrementAndGet())
                .withProviderOption("mongodb", "pollInterval", "20ms"));
    }
}
