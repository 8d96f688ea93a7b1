package dev.engram.tck;

/**
 * Every always-on kit. A backend's test class implements this, plus {@link SharedStorageKit} and
 * {@link DurabilityKit} when its backend declares those capabilities:
 *
 * <pre>{@code
 * class RedisConformanceIT implements EngramConformanceKit, SharedStorageKit {
 *     public BackendUnderTest backend() {
 *         return () -> TestStorage.of(EngramConfig.defaults().withProvider("redis")
 *                 .withProviderOption("redis", "keyPrefix", "tck-" + UUID.randomUUID() + ":"));
 *     }
 * }
 * }</pre>
 */
public interface EngramConformanceKit extends AppendKit, ConcurrencyKit, IdempotencyKit, CheckpointKit, TimeTravelAndForkKit,
        DeleteKit, ListingKit, TtlKit, WatchKit, InputValidationKit, PerformanceKit, MemoryKit {
}
