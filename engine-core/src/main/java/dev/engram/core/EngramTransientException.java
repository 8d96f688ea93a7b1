package dev.engram.core;

/** A failure that may go away if the same operation is tried again (a backend that is down, a timeout). */
public abstract class EngramTransientException extends EngramException {

    protected EngramTransientException(String message) {
        super(message);
    }

    protected EngramTransientException(String message, Throwable cause) {
        super(message, cause);
    }

    @Override
    public final boolean isTransient() {
        return true;
    }
}
