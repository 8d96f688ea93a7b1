package dev.engram.core.config;

import dev.engram.core.ConfigurationException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;
import org.jspecify.annotations.Nullable;

/**
 * Everything an engine is opened with. Immutable; {@code with*} methods return changed copies.
 * {@link #load()} reads {@code engram.yaml} and the environment; {@link #defaults()} is the local provider with data under {@code ./data}.
 *
 * @param provider        the backend provider's name (default {@code local})
 * @param strict          fail start-up when the provider is not on the classpath, instead of falling back to {@code local}
 * @param providers       each provider's options, by provider name
 * @param threadTtl       the default time to live of a new thread after each write; null: threads do not expire
 * @param cacheMaxThreads how many hot threads' folded states are cached in process (default 10,000; 0 disables)
 * @param memory          the memory store: recall caps, TTL, embedding and fact extraction
 */
public record EngramConfig(String provider, boolean strict, Map<String, ProviderOptions> providers, Limits limits,
                           CheckpointPolicy checkpoints, WatchSettings watch, @Nullable Duration threadTtl, int cacheMaxThreads,
                           MemorySettings memory) {

    public static final String DEFAULT_PROVIDER = "local";
    public static final int DEFAULT_CACHE_MAX_THREADS = 10_000;

    public EngramConfig {
        if (provider == null || provider.isBlank()) {
            throw new ConfigurationException("provider is required");
        }
        providers = Map.copyOf(providers);
        if (threadTtl != null && (threadTtl.isNegative() || threadTtl.isZero())) {
            throw new ConfigurationException("threads.ttl must be positive, got " + threadTtl);
        }
        if (cacheMaxThreads < 0) {
            throw new ConfigurationException("cache.maxThreads must not be negative");
        }
        if (memory == null) {
            throw new ConfigurationException("memory settings are required");
        }
    }

    public static EngramConfig defaults() {
        return new EngramConfig(DEFAULT_PROVIDER, false, Map.of(), Limits.defaults(), CheckpointPolicy.defaults(),
                WatchSettings.defaults(), null, DEFAULT_CACHE_MAX_THREADS, MemorySettings.defaults());
    }

    /**
     * Reads the file {@code ENGRAM_CONFIG} names, else {@code ./engram.yaml} when it exists, then applies {@code ENGRAM_*}
     * environment overrides; see {@code engine-core/README.md} for every key and variable.
     */
    public static EngramConfig load() {
        return ConfigLoader.load(null, System.getenv());
    }

    /** Reads the given file (it must exist), then applies {@code ENGRAM_*} environment overrides. */
    public static EngramConfig load(Path file) {
        return ConfigLoader.load(file, System.getenv());
    }

    /** The options of the named provider; empty when the config has none. */
    public ProviderOptions providerOptions(String name) {
        ProviderOptions o = providers.get(name);
        return o != null ? o : ProviderOptions.empty(name);
    }

    public EngramConfig withProvider(String newProvider) {
        return new EngramConfig(newProvider, strict, providers, limits, checkpoints, watch, threadTtl, cacheMaxThreads, memory);
    }

    public EngramConfig withStrict(boolean newStrict) {
        return new EngramConfig(provider, newStrict, providers, limits, checkpoints, watch, threadTtl, cacheMaxThreads, memory);
    }

    /** A copy with one option of one provider set. */
    public EngramConfig withProviderOption(String providerName, String option, String value) {
        Map<String, ProviderOptions> copy = new TreeMap<>(providers);
        copy.put(providerName, providerOptions(providerName).with(option, value));
        return new EngramConfig(provider, strict, copy, limits, checkpoints, watch, threadTtl, cacheMaxThreads, memory);
    }

    public EngramConfig withLimits(Limits newLimits) {
        return new EngramConfig(provider, strict, providers, newLimits, checkpoints, watch, threadTtl, cacheMaxThreads, memory);
    }

    public EngramConfig withCheckpoints(CheckpointPolicy policy) {
        return new EngramConfig(provider, strict, providers, limits, policy, watch, threadTtl, cacheMaxThreads, memory);
    }

    public EngramConfig withWatch(WatchSettings newWatch) {
        return new EngramConfig(provider, strict, providers, limits, checkpoints, newWatch, threadTtl, cacheMaxThreads, memory);
    }

    public EngramConfig withThreadTtl(@Nullable Duration ttl) {
        return new EngramConfig(provider, strict, providers, limits, checkpoints, watch, ttl, cacheMaxThreads, memory);
    }

    public EngramConfig withCacheMaxThreads(int max) {
        return new EngramConfig(provider, strict, providers, limits, checkpoints, watch, threadTtl, max, memory);
    }

    public EngramConfig withMemory(MemorySettings settings) {
        return new EngramConfig(provider, strict, providers, limits, checkpoints, watch, threadTtl, cacheMaxThreads, settings);
    }
}
