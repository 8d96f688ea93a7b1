package dev.engram.backend.mongodb;

import dev.engram.core.spi.Backend;
import dev.engram.core.spi.BackendContext;
import dev.engram.core.spi.BackendProvider;

/** Provides the {@code mongodb} backend. */
public final class MongoProvider implements BackendProvider {

    public static final String NAME = "mongodb";

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public Backend create(BackendContext context) {
        return new MongoBackend(MongoSettings.from(context.options()), context.clock());
    }
}
