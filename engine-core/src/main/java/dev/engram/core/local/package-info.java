/**
 * The {@code local} provider, Engram's default: durable threads in one directory on disk, stored with RocksDB
 * (rocksdbjni). One process owns a directory at a time; a second open fails with a
 * {@link dev.engram.core.ConfigurationException} naming the held lock. See {@code docs/local-provider.md}.
 *
 * <h2>Layout</h2>
 * Column families {@code threads} (record), {@code events} (prefix + 8-byte big-endian version → event),
 * {@code ids} (prefix + event id → version, for idempotent retries) and {@code checkpoints} (prefix + version →
 * checkpoint), where a thread's prefix is {@code tenant 0x00 threadId 0x00 namespace 0x00}, and {@code memories}
 * ({@code tenant 0x00 namespace-path 0x00 key} → the codec's memory-item blob). Thread values start with a format
 * byte. Deleting a thread is one batch of range deletes over its prefix plus the record's delete.
 *
 * <h2>Threads</h2>
 * No RocksDB call runs on a caller's thread. Reads run on a bounded scheduler ({@code engram-local-read-*}) and emit
 * there. Every write runs on one writer thread ({@code engram-local-writer-*}), which groups concurrent appends into
 * one batch and one sync (group commit), then answers them on a separate scheduler ({@code engram-local-ack-*}) so
 * that no caller's code ever runs on the writer.
 *
 * <h2>Options</h2>
 * {@code dataDir} (default {@code ./data}), {@code sync} ({@code always} | {@code interval} | {@code never}),
 * {@code syncInterval} (100ms), {@code maxBatch} (512), {@code maxQueued} (16384), {@code sweepInterval} (1m),
 * {@code readThreads}, {@code memoryCache} (64MiB); see {@link dev.engram.core.local.LocalProvider} and {@link dev.engram.core.local.SyncMode}.
 *
 * <h2>Expiry</h2>
 * Expired threads are filtered out on every read by the engine's clock, an append to one starts a new generation after
 * removing the old data in the same batch, and a sweep on the writer removes a bounded number of them each interval.
 */
@NullMarked
package dev.engram.core.local;

import org.jspecify.annotations.NullMarked;
