package dev.engram.core.spi;

import dev.engram.core.ConfigurationException;
import dev.engram.core.config.EngramConfig;
import dev.engram.core.config.ProviderOptions;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;
import java.util.TreeMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Finds {@link BackendProvider}s with {@link ServiceLoader} and picks the one a configuration asks for.
 *
 * <p>Selection rules: the provider named by {@link EngramConfig#provider()} when it is on the classpath. Otherwise, with
 * {@code strict: true}, start-up fails; with {@code strict: false}, a warning names the wanted and the available providers
 * and {@value #FALLBACK} is used with its own options. When {@value #FALLBACK} is missing too (or was the one asked for),
 * start-up fails whatever {@code strict} says. Every failure is a {@link ConfigurationException} that lists the available
 * providers in name order.
 */
public final class BackendProviders {

    /** The provider used when the configured one is not on the classpath and {@code strict} is off. */
    public static final String FALLBACK = EngramConfig.DEFAULT_PROVIDER;

    private static final Logger LOG = LoggerFactory.getLogger(BackendProviders.class);

    private BackendProviders() {
    }

    /**
     * The providers the class loader can see, in name order.
     *
     * @throws ConfigurationException when two providers share a name, a provider has no name, or one cannot be loaded
     */
    public static List<BackendProvider> available(ClassLoader classLoader) {
        Objects.requireNonNull(classLoader, "classLoader");
        return List.copyOf(byName(classLoader).values());
    }

    /** Picks the provider for {@code config} among those visible to the thread's context class loader. */
    public static Selected select(EngramConfig config) {
        ClassLoader context = Thread.currentThread().getContextClassLoader();
        return select(config, context != null ? context : BackendProviders.class.getClassLoader());
    }

    /**
     * Picks the provider for {@code config} among those visible to {@code classLoader}, following the rules in the class comment.
     *
     * @throws ConfigurationException when no provider can be used, or {@link #available(ClassLoader)} fails
     */
    public static Selected select(EngramConfig config, ClassLoader classLoader) {
        Objects.requireNonNull(config, "config");
        Objects.requireNonNull(classLoader, "classLoader");
        Map<String, BackendProvider> providers = byName(classLoader);
        String wanted = config.provider();
        BackendProvider found = providers.get(wanted);
        if (found != null) {
            LOG.debug("Using backend provider '{}' ({})", wanted, found.getClass().getName());
            return new Selected(found, config.providerOptions(wanted), wanted);
        }
        String available = names(providers);
        if (config.strict()) {
            throw new ConfigurationException("provider '" + wanted + "' is not on the classpath; available: " + available);
        }
        BackendProvider fallback = providers.get(FALLBACK);
        if (fallback == null) {
            throw new ConfigurationException(FALLBACK.equals(wanted)
                    ? "provider '" + wanted + "' is not on the classpath; available: " + available
                    : "provider '" + wanted + "' is not on the classpath, nor is the fallback '" + FALLBACK + "'; available: "
                            + available);
        }
        LOG.warn("Provider '{}' is not on the classpath (available: {}); falling back to '{}'. Add the provider's module,"
                + " or set strict: true to fail instead", wanted, available, FALLBACK);
        return new Selected(fallback, config.providerOptions(FALLBACK), wanted);
    }

    private static Map<String, BackendProvider> byName(ClassLoader classLoader) {
        Map<String, BackendProvider> byName = new TreeMap<>();
        try {
            for (BackendProvider provider : ServiceLoader.load(BackendProvider.class, classLoader)) {
                String name = provider.name();
                if (name == null || name.isBlank()) {
                    throw new ConfigurationException("backend provider " + provider.getClass().getName() + " has no name");
                }
                BackendProvider other = byName.putIfAbsent(name, provider);
                if (other != null) {
                    throw new ConfigurationException("two backend providers are named '" + name + "': "
                            + other.getClass().getName() + " and " + provider.getClass().getName()
                            + "; remove one of them from the classpath");
                }
            }
        } catch (ServiceConfigurationError e) {
            throw new ConfigurationException("cannot load a backend provider: " + e.getMessage(), e);
        }
        return byName;
    }

    private static String names(Map<String, BackendProvider> byName) {
        return byName.isEmpty() ? "(none)" : String.join(", ", byName.keySet());
    }

    /**
     * The provider to create the backend with.
     *
     * @param provider  the provider found
     * @param options   the options of that provider (the fallback's own options when it stands in)
     * @param requested the name the configuration asked for
     */
    public record Selected(BackendProvider provider, ProviderOptions options, String requested) {

        public Selected {
            Objects.requireNonNull(provider, "provider");
            Objects.requireNonNull(options, "options");
            Objects.requireNonNull(requested, "requested");
        }

        /** The name of the provider that will be used. */
        public String name() {
            return provider.name();
        }

        /** Whether the fallback stands in for a provider that is not on the classpath. */
        public boolean isFallback() {
            return !provider.name().equals(requested);
        }
    }
}
