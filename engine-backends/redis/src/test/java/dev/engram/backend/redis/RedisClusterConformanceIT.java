package dev.engram.backend.redis;

import dev.engram.core.config.EngramConfig;
import dev.engram.tck.BackendUnderTest;
import dev.engram.tck.DurabilityKit;
import dev.engram.tck.EngramConformanceKit;
import dev.engram.tck.SharedStorageKit;
import dev.engram.tck.TestStorage;
import org.junit.jupiter.api.extension.ExtendWith;

/** The whole kit against a 3-master Redis Cluster started for the run: every script must stay in one slot. */
@ExtendWith(RedisClusterExtension.class)
class RedisClusterConformanceIT implements EngramConformanceKit, SharedStorageKit, DurabilityKit {

    @Override
    public BackendUnderTest backend() {
        return () -> TestStorage.of(EngramConfig.defaults().withProvider(RedisProvider.NAME)
                .withProviderOption(RedisProvider.NAME, "url", RedisClusterExtension.url())
                .withProviderOption(RedisProvider.NAME, "cluster", "true")
                .withProviderOption(RedisProvider.NAME, "keyPrefix", RedisTestSupport.uniquePrefix("tck-cluster")));
    }
}
