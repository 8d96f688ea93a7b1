package dev.engram.tck;

import dev.engram.core.config.EngramConfig;
import java.util.Objects;

/**
 * One test's storage.
 *
 * @param config  opens an engine on this storage: the provider and the options that point at it
 * @param release frees the storage once every engine of the test is closed (drop a key prefix, a schema, …)
 */
public record TestStorage(EngramConfig config, AutoCloseable release) {

    public TestStorage {
        Objects.requireNonNull(config, "config");
        Objects.requireNonNull(release, "release");
    }

    /** Storage with nothing to release (the test framework or the provider cleans up). */
    public static TestStorage of(EngramConfig config) {
        return new TestStorage(config, () -> { });
    }
}
