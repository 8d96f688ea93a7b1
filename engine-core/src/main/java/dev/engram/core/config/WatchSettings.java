package dev.engram.core.config;

import dev.engram.core.ConfigurationException;

/**
 * Live subscriptions.
 *
 * @param maxLag    a subscriber more than this many events behind the head, with no outstanding demand, is cut off
 *                  with the version to resume from (default 10,000)
 * @param batchSize the most events read from the log per page while catching up (default 256)
 */
public record WatchSettings(int maxLag, int batchSize) {

    public static final int DEFAULT_MAX_LAG = 10_000;
    public static final int DEFAULT_BATCH_SIZE = 256;

    public WatchSettings {
        if (maxLag < 1 || batchSize < 1) {
            throw new ConfigurationException("watch.maxLag and watch.batchSize must be at least 1");
        }
    }

    public static WatchSettings defaults() {
        return new WatchSettings(DEFAULT_MAX_LAG, DEFAULT_BATCH_SIZE);
    }
}
