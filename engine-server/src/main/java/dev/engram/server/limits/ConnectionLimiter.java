package dev.engram.server.limits;

import java.util.concurrent.atomic.AtomicInteger;

/** Counts open connections across every verticle instance and surface, refusing those over the limit. */
public final class ConnectionLimiter {

    private final int max;
    private final AtomicInteger open = new AtomicInteger();

    public ConnectionLimiter(int max) {
        this.max = max;
    }

    /** Counts one more connection, or returns false (and counts nothing) when the limit is reached. */
    public boolean tryOpen() {
        while (true) {
            int n = open.get();
            if (n >= max) {
                return false;
            }
            if (open.compareAndSet(n, n + 1)) {
                return true;
            }
        }
    }

    public void closed() {
        open.decrementAndGet();
    }

    public int open() {
        return open.get();
    }
}
