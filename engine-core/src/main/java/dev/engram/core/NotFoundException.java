package dev.engram.core;

/** The thread, version or item asked for does not exist (or has expired). */
public final class NotFoundException extends EngramNonTransientException {

    public NotFoundException(String message) {
        super(message);
    }
}
