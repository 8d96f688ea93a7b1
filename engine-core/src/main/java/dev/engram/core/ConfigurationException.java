package dev.engram.core;

/** The configuration is invalid or names a provider that cannot be used. */
public final class ConfigurationException extends EngramNonTransientException {

    public ConfigurationException(String message) {
        super(message);
    }

    public ConfigurationException(String message, Throwable cause) {
        super(message, cause);
    }
}
