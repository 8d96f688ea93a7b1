package dev.engram.benchmarks;

/** Sanity checks run at setup: a benchmark over the wrong data must fail, not report a number. */
final class Checks {

    private Checks() {
    }

    static void require(boolean condition, String message) {
        if (!condition) {
            throw new IllegalStateException(message);
        }
    }
}
