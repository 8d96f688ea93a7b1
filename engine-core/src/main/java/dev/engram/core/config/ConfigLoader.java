package dev.engram.core.config;

import java.nio.file.Path;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/** Reads {@code engram.yaml} with {@code ${VAR}} / {@code ${VAR:-default}} substitution and applies {@code ENGRAM_*} overrides. */
final class ConfigLoader {

    private ConfigLoader() {
    }

    static EngramConfig load(@Nullable Path file, Map<String, String> env) {
        // placeholder until the YAML loader lands: defaults plus the provider override
        EngramConfig c = EngramConfig.defaults();
        String p = env.get("ENGRAM_PROVIDER");
        return p == null || p.isBlank() ? c : c.withProvider(p);
    }
}
