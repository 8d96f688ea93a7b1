package dev.engram.core.inmemory;

import dev.engram.core.config.Option;
import dev.engram.core.spi.Backend;
import dev.engram.core.spi.BackendContext;
import dev.engram.core.spi.BackendProvider;
import java.util.concurrent.ConcurrentHashMap;

/** Provides the volatile {@code memory} backend. */
public final class InMemoryProvider implements BackendProvider {

    public static final String NAME = "memory";
    /** Backends with the same name share one store; without it each backend has its own. */
    public static final Option<String> STORE_NAME = Option.string("name", "");

    private static final ConcurrentHashMap<String, InMemoryStore> NAMED = new ConcurrentHashMap<>();

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public Backend create(BackendContext context) {
        String name = context.options().get(STORE_NAME);
        InMemoryStore store = name.isEmpty() ? new InMemoryStore(context.clock()) : NAMED.computeIfAbsent(name, n -> new InMemoryStore(context.clock()));
        return new InMemoryBackend(store, !name.isEmpty());
    }
}
