package dev.engram.core;

/**
 * A model API refused the request (a 4xx other than 429: a bad key, an unknown model, a malformed request) or
 * answered with something that is not what its protocol promises. Sending the same request again will not help.
 */
public final class ModelResponseException extends EngramNonTransientException {

    public ModelResponseException(String message) {
        super(message);
    }

    public ModelResponseException(String message, Throwable cause) {
        super(message, cause);
    }
}
