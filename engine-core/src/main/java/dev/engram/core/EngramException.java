package dev.engram.core;

/**
 * Root of every exception Engram raises. Callers decide whether to retry by type:
 * {@link EngramTransientException} may succeed when tried again, {@link EngramNonTransientException} will not.
 */
public abstract class EngramException extends RuntimeException {

    protected EngramException(String message) {
        super(message);
    }

    protected EngramException(String message, Throwable cause) {
        super(message, cause);
    }

    /** Whether the same operation may succeed if tried again unchanged. */
    public abstract boolean isTransient();
}
