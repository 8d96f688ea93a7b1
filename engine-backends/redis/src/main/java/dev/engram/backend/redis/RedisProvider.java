package dev.engram.backend.redis;

import dev.engram.core.spi.Backend;
import dev.engram.core.spi.BackendContext;
import dev.engram.core.spi.BackendProvider;

/** Provides the {@code redis} backend; its options are in {@link RedisOptions}. Connections open on first use. */
public final class RedisProvider implements BackendProvider {

    public static final String NAME = "redis";

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public Backend create(BackendContext context) {
        return new RedisBackend(RedisOptions.parse(context.options()), context.clock());
    }
}
