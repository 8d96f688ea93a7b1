package dev.engram.core;

/** The backend could not be reached or did not answer in time. Whether a write took effect is unknown: retry it with the same event ids. */
public final class BackendUnavailableException extends EngramTransientException {

    public BackendUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }

    public BackendUnavailableException(String message) {
        super(message);
    }
}
