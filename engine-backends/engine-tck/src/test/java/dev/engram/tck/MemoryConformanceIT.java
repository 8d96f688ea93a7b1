package dev.engram.tck;

import dev.engram.core.config.EngramConfig;
import java.util.UUID;

/** The kit against the built-in {@code memory} provider; a store name per test makes its engines share storage. */
class MemoryConformanceIT implements EngramConformanceKit, SharedStorageKit {

    @Override
    public BackendUnderTest backend() {
        return () -> TestStorage.of(EngramConfig.defaults().withProvider("memory")
                .withProviderOption("memory", "name", "tck-" + UUID.randomUUID()));
    }
}
