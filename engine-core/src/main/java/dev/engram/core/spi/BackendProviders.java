package dev.engram.core.spi;

import dev.engram.core.ConfigurationException;
import dev.engram.core.config.EngramConfig;
import java.util.ServiceLoader;

/** Finds backend providers with {@link ServiceLoader}. */
public final class BackendProviders {

    private BackendProviders() {
    }

    /** The provider the config names; placeholder until the full selection rules land. */
    public static BackendProvider select(EngramConfig config) {
        for (BackendProvider p : ServiceLoader.load(BackendProvider.class)) {
            if (p.name().equals(config.provider())) {
                return p;
            }
        }
        throw new ConfigurationException("provider '" + config.provider() + "' is not on the classpath");
    }
}
