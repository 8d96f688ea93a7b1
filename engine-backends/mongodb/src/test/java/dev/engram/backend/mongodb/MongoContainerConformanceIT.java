package dev.engram.backend.mongodb;

import dev.engram.core.config.EngramConfig;
import dev.engram.tck.BackendUnderTest;
import dev.engram.tck.DurabilityKit;
import dev.engram.tck.EngramConformanceKit;
import dev.engram.tck.SharedStorageKit;
import dev.engram.tck.TestStorage;
import java.util.concurrent.atomic.AtomicInteger;
import org.testcontainers.junit.jupiter.Container;
import org.testcontainers.junit.jupiter.Testcontainers;
import org.testcontainers.mongodb.MongoDBContainer;

/**
 * The whole kit against a real {@code mongo:7} (a single-node replica set, so change streams, real indexes and the
 * TTL monitor are in play) where Docker exists; skipped cleanly where it does not.
 */
@Testcontainers(disabledWithoutDocker = true)
class MongoContainerConformanceIT implements EngramConformanceKit, SharedStorageKit, DurabilityKit {

    private static final AtomicInteger DATABASES = new AtomicInteger();

    @Container
    static final MongoDBContainer MONGO = new MongoDBContainer("mongo:7");

    @Override
    public BackendUnderTest backend() {
        return () -> TestStorage.of(EngramConfig.defaults().withProvider(MongoProvider.NAME)
                .withProviderOption(MongoProvider.NAME, "url", MONGO.getConnectionString())
                .withProviderOption(MongoProvider.NAME, "database", "tck" + DATABASES.incrementAndGet()));
    }
}
