package dev.engram.server.limits;

import java.util.concurrent.ConcurrentHashMap;

/** A token bucket per tenant: {@code perSecond} requests a second, with bursts of up to one second's worth. */
public final class RateLimiter {

    private final int perSecond;
    private final ConcurrentHashMap<String, Bucket> buckets = new ConcurrentHashMap<>();

    public RateLimiter(int perSecond) {
        this.perSecond = perSecond;
    }

    /** Takes one token of the tenant's bucket; false when it is empty. */
    public boolean tryAcquire(String tenant) {
        return buckets.computeIfAbsent(tenant, t -> new Bucket(perSecond)).tryTake(System.nanoTime());
    }

    private static final class Bucket {
        private final double capacity;
        private final double perNano;
        private double tokens;
        private long last;

        Bucket(int perSecond) {
            this.capacity = perSecond;
            this.perNano = perSecond / 1e9;
            this.tokens = perSecond;
            this.last = System.nanoTime();
        }

        synchronized boolean tryTake(long now) {
            tokens = Math.min(capacity, tokens + (now - last) * perNano);
            last = now;
            if (tokens < 1) {
                return false;
            }
            tokens -= 1;
            return true;
        }
    }
}
