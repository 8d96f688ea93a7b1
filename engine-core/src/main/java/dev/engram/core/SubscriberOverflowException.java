package dev.engram.core;

import dev.engram.core.model.ThreadKey;

/**
 * A {@code watch} subscriber fell further behind the thread's head than allowed and was cut off.
 * Nothing is lost: subscribe again from {@link #resumeFrom()}.
 */
public final class SubscriberOverflowException extends EngramTransientException {

    private final ThreadKey key;
    private final long resumeFrom;

    public SubscriberOverflowException(ThreadKey key, long resumeFrom, long lag) {
        super("subscriber of " + key + " fell " + lag + " events behind; resume from version " + resumeFrom);
        this.key = key;
        this.resumeFrom = resumeFrom;
    }

    public ThreadKey key() {
        return key;
    }

    /** The first version the subscriber has not received. */
    public long resumeFrom() {
        return resumeFrom;
    }
}
