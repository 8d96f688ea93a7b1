package dev.engram.backend.redis;

import dev.engram.core.config.EngramConfig;
import dev.engram.tck.BackendUnderTest;
import dev.engram.tck.DurabilityKit;
import dev.engram.tck.EngramConformanceKit;
import dev.engram.tck.SharedStorageKit;
import dev.engram.tck.TestStorage;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.junit.jupiter.Container;
import org.testcontainers.junit.jupiter.Testcontainers;

/** The whole kit against a {@code redis:7} container, where Docker exists; skipped cleanly where it does not. */
@Testcontainers(disabledWithoutDocker = true)
class RedisContainerConformanceIT implements EngramConformanceKit, SharedStorageKit, DurabilityKit {

    @Container
    static final GenericContainer<?> REDIS = new GenericContainer<>("redis:7").withExposedPorts(6379);

    @Override
    public BackendUnderTest backend() {
        return () -> TestStorage.of(EngramConfig.defaults().withProvider(RedisProvider.NAME)
                .withProviderOption(RedisProvider.NAME, "url", "redis://" + REDIS.getHost() + ":" + REDIS.getMappedPort(6379))
                .withProviderOption(RedisProvider.NAME, "keyPrefix", RedisTestSupport.uniquePrefix("tck-container")));
    }
}
