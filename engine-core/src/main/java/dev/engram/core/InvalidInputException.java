package dev.engram.core;

/** The caller's input breaks a rule; raised before any I/O, so nothing was stored. */
public class InvalidInputException extends EngramNonTransientException {

    public InvalidInputException(String message) {
        super(message);
    }
}
