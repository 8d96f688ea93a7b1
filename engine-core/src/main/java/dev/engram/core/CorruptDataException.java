package dev.engram.core;

/** Stored bytes failed their integrity check (magic, format or CRC32C) or could not be decoded. */
public final class CorruptDataException extends EngramNonTransientException {

    public CorruptDataException(String message) {
        super(message);
    }

    public CorruptDataException(String message, Throwable cause) {
        super(message, cause);
    }
}
