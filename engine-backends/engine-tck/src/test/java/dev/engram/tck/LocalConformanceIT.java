package dev.engram.tck;

import dev.engram.core.config.EngramConfig;
import java.nio.file.Path;
import org.junit.jupiter.api.io.TempDir;

/** The kit against the built-in {@code local} provider, in a fresh directory per test, syncing every append. */
class LocalConformanceIT implements EngramConformanceKit, DurabilityKit {

    @TempDir
    Path dataDir;

    @Override
    public BackendUnderTest backend() {
        return () -> TestStorage.of(EngramConfig.defaults().withProvider("local")
                .withProviderOption("local", "dataDir", dataDir.toString())
                .withProviderOption("local", "sync", "always"));
    }
}
