package dev.engram.core.local;

import dev.engram.core.ConfigurationException;
import java.nio.file.Path;
import java.time.Duration;

/** The {@code local} provider's options, read and checked. */
record LocalSettings(Path dataDir, SyncMode sync, Duration syncInterval, int maxBatch, int maxQueued, Duration sweepInterval,
                     int readThreads, long memoryCacheBytes) {

    LocalSettings {
        if (syncInterval.isNegative() || syncInterval.isZero()) {
            throw new ConfigurationException("local.syncInterval must be positive, got " + syncInterval);
        }
        if (maxBatch < 1) {
            throw new ConfigurationException("local.maxBatch must be at least 1, got " + maxBatch);
        }
        if (maxQueued < maxBatch) {
            throw new ConfigurationException("local.maxQueued must be at least maxBatch (" + maxBatch + "), got " + maxQueued);
        }
        if (sweepInterval.isNegative() || sweepInterval.isZero()) {
            throw new ConfigurationException("local.sweepInterval must be positive, got " + sweepInterval);
        }
        if (readThreads < 1) {
            throw new ConfigurationException("local.readThreads must be at least 1, got " + readThreads);
        }
        if (memoryCacheBytes < 0) {
            throw new ConfigurationException("local.memoryCache must not be negative, got " + memoryCacheBytes);
        }
    }
}
