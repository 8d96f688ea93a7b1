package dev.engram.backend.redis;

import dev.engram.core.config.ProviderOptions;
import dev.engram.core.spi.Backend;
import dev.engram.core.spi.BackendContext;
import io.lettuce.core.RedisURI;
import io.lettuce.core.cluster.RedisClusterClient;
import java.time.Clock;
import java.util.Arrays;
import java.util.Map;
import org.junit.jupiter.api.extension.ExtendWith;

/** The memory storage scenarios against a 3-master Redis Cluster: every script stays in one space's slot. */
@ExtendWith(RedisClusterExtension.class)
class RedisMemoryStorageClusterIT extends RedisMemoryStorageScenarios {

    @Override
    protected Backend open(String prefix, Clock clock) {
        ProviderOptions options = new ProviderOptions("providers.redis",
                Map.of("url", RedisClusterExtension.url(), "cluster", "true", "keyPrefix", prefix));
        return new RedisProvider().create(new BackendContext(options, clock));
    }

    @Override
    protected Raw raw() {
        var seeds = Arrays.stream(RedisClusterExtension.url().substring("redis://".length()).split(","))
                .map(hostPort -> RedisURI.create("redis://" + hostPort))
                .toList();
        RedisClusterClient client = RedisClusterClient.create(seeds);
        var connection = client.connect();
        return new Raw(connection.sync(), () -> {
            connection.close();
            client.shutdown();
        });
    }

    @Override
    protected void release(String prefix) {
        // the cluster is thrown away when the run ends
    }
}
