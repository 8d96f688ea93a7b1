package dev.engram.core.local;

import dev.engram.core.ConfigurationException;
import dev.engram.core.config.Option;
import dev.engram.core.config.ProviderOptions;
import dev.engram.core.spi.Backend;
import dev.engram.core.spi.BackendContext;
import dev.engram.core.spi.BackendProvider;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.time.Duration;

/** Provides the durable {@code local} backend: RocksDB files in one directory, owned by one process at a time. */
public final class LocalProvider implements BackendProvider {

    public static final String NAME = "local";

    /** Where the files live; created when missing. */
    public static final Option<String> DATA_DIR = Option.string("dataDir", "./data");
    /** When appends are forced to disk (see {@link SyncMode}). */
    public static final Option<SyncMode> SYNC = Option.enumOf("sync", SyncMode.class, SyncMode.ALWAYS);
    /** How often the log is synced in {@link SyncMode#INTERVAL} mode. */
    public static final Option<Duration> SYNC_INTERVAL = Option.duration("syncInterval", Duration.ofMillis(100));
    /** The most appends one group commit (one write, one sync) takes. */
    public static final Option<Integer> MAX_BATCH = Option.integer("maxBatch", 512);
    /** The most writes waiting for the writer; beyond it writes fail fast with {@link dev.engram.core.BackendUnavailableException}. */
    public static final Option<Integer> MAX_QUEUED = Option.integer("maxQueued", 16_384);
    /** How often expired threads' data is removed from disk (expired threads are invisible at once). */
    public static final Option<Duration> SWEEP_INTERVAL = Option.duration("sweepInterval", Duration.ofMinutes(1));
    /** Threads that serve reads. */
    public static final Option<Integer> READ_THREADS = Option.integer("readThreads", Math.max(4, 2 * Runtime.getRuntime().availableProcessors()));

    /**
     * Memory items kept decoded in the heap for searches, counted in encoded bytes (the heap holds a small multiple of
     * that; vectors cost about what they do encoded); 0 disables the cache.
     */
    public static final Option<Long> MEMORY_CACHE = Option.bytes("memoryCache", 64L << 20);

    @Override
    public String name() {
        return NAME;
    }

    /** Opens the directory now, so that a directory in use fails here with a {@link ConfigurationException}. */
    @Override
    public Backend create(BackendContext context) {
        return LocalBackend.open(settings(context.options()), context.clock());
    }

    static LocalSettings settings(ProviderOptions o) {
        Path dir;
        try {
            dir = Path.of(o.get(DATA_DIR)).toAbsolutePath().normalize();
        } catch (InvalidPathException e) {
            throw new ConfigurationException("local.dataDir: " + e.getMessage(), e);
        }
        return new LocalSettings(dir, o.get(SYNC), o.get(SYNC_INTERVAL), o.get(MAX_BATCH), o.get(MAX_QUEUED), o.get(SWEEP_INTERVAL),
                o.get(READ_THREADS), o.get(MEMORY_CACHE));
    }
}
