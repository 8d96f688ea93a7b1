package dev.engram.core;

/** An event, a batch or a value is larger than the configured limit; nothing was stored. */
public final class PayloadTooLargeException extends InvalidInputException {

    private final long size;
    private final long limit;

    public PayloadTooLargeException(String what, long size, long limit) {
        super(what + " is " + size + " bytes, over the limit of " + limit + " bytes");
        this.size = size;
        this.limit = limit;
    }

    public long size() {
        return size;
    }

    public long limit() {
        return limit;
    }
}
