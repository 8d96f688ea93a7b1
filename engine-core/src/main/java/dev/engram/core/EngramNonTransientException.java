package dev.engram.core;

/** A failure that the same operation will meet again: the input or the stored data must change first. */
public abstract class EngramNonTransientException extends EngramException {

    protected EngramNonTransientException(String message) {
        super(message);
    }

    protected EngramNonTransientException(String message, Throwable cause) {
        super(message, cause);
    }

    @Override
    public final boolean isTransient() {
        return false;
    }
}
