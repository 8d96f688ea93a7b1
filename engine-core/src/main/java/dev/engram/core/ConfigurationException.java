package dev.engram.core;

/**
 * The configuration is invalid, names a provider that cannot be used, or holds what the backend refuses: credentials,
 * a user without the privileges it needs, a database that does not exist. The same call fails again until the
 * configuration (or the backend's users) change.
 */
public final class ConfigurationException extends EngramNonTransientException {

    public ConfigurationException(String message) {
        super(message);
    }

    public ConfigurationException(String message, Throwable cause) {
        super(message, cause);
    }
}
