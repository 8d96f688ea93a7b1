package dev.engram.core;

import dev.engram.core.model.ExpectedVersion;
import dev.engram.core.model.ThreadKey;

/** An append's expected version did not match the thread's head; nothing was written. */
public final class VersionConflictException extends EngramNonTransientException {

    private final ThreadKey key;
    private final ExpectedVersion expected;
    private final long actual;

    public VersionConflictException(ThreadKey key, ExpectedVersion expected, long actual) {
        super("version conflict on " + key + ": expected " + expected + ", actual " + actual);
        this.key = key;
        this.expected = expected;
        this.actual = actual;
    }

    public ThreadKey key() {
        return key;
    }

    public ExpectedVersion expected() {
        return expected;
    }

    /** The thread's head version when the append was refused; 0 when the thread did not exist. */
    public long actual() {
        return actual;
    }
}
