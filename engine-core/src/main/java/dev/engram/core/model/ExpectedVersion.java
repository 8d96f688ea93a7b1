package dev.engram.core.model;

import dev.engram.core.InvalidInputException;

/** The head version an append expects the thread to have; a mismatch refuses the append and writes nothing. */
public final class ExpectedVersion {

    private static final ExpectedVersion ANY = new ExpectedVersion(-1);
    private static final ExpectedVersion NO_THREAD = new ExpectedVersion(0);

    private final long version;

    private ExpectedVersion(long version) {
        this.version = version;
    }

    /** Append whatever the head is. */
    public static ExpectedVersion any() {
        return ANY;
    }

    /** Append only if the thread does not exist yet (head 0). */
    public static ExpectedVersion noThread() {
        return NO_THREAD;
    }

    /** Append only if the head is exactly {@code version}; {@code exactly(0)} is {@link #noThread()}. */
    public static ExpectedVersion exactly(long version) {
        if (version < 0) {
            throw new InvalidInputException("expected version must be 0 or more, got " + version);
        }
        return version == 0 ? NO_THREAD : new ExpectedVersion(version);
    }

    public boolean isAny() {
        return version < 0;
    }

    /** The expected head, or -1 for {@link #any()}. */
    public long version() {
        return version;
    }

    /** Whether a thread whose head is {@code head} (0 when absent) satisfies this expectation. */
    public boolean matches(long head) {
        return version < 0 || version == head;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ExpectedVersion e && e.version == version;
    }

    @Override
    public int hashCode() {
        return Long.hashCode(version);
    }

    @Override
    public String toString() {
        return version < 0 ? "any" : version == 0 ? "no thread" : Long.toString(version);
    }
}
