package dev.engram.benchmarks.load;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;

/** Latencies in 10 µs buckets up to 10 s (one overflow bucket above), safe to record from many threads. */
final class LatencyHistogram {

    private static final long BUCKET_NANOS = TimeUnit.MICROSECONDS.toNanos(10);
    private static final int BUCKETS = 1_000_000;

    // fixed-size, allocated up front, so recording never allocates and the heap figure is not skewed by it
    private final AtomicLongArray counts = new AtomicLongArray(BUCKETS + 1);
    private final AtomicLong total = new AtomicLong();
    private final AtomicLong max = new AtomicLong();

    void record(long nanos) {
        long n = Math.max(0, nanos);
        counts.incrementAndGet((int) Math.min(BUCKETS, n / BUCKET_NANOS));
        total.incrementAndGet();
        max.accumulateAndGet(n, Math::max);
    }

    long count() {
        return total.get();
    }

    /** The upper edge of the bucket holding the given quantile, in milliseconds; 0 when nothing was recorded. */
    double percentileMillis(double quantile) {
        long n = total.get();
        if (n == 0) {
            return 0;
        }
        long rank = (long) Math.ceil(quantile * n);
        long seen = 0;
        for (int i = 0; i <= BUCKETS; i++) {
            seen += counts.get(i);
            if (seen >= rank) {
                return i == BUCKETS ? maxMillis() : (i + 1) * BUCKET_NANOS / 1e6;
            }
        }
        return maxMillis();
    }

    double maxMillis() {
        return max.get() / 1e6;
    }
}
