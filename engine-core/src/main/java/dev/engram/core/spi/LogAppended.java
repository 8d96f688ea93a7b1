package dev.engram.core.spi;

/**
 * A backend's answer to an acknowledged {@link LogAppend}.
 *
 * @param generation the thread's generation when the backend knows it at no cost, else 0. When the append created the
 *                   thread ({@code firstVersion} 1), it lets the engine cache the new thread's state at once instead of
 *                   reading it back for its first checkpoint.
 */
public record LogAppended(long firstVersion, long lastVersion, boolean deduplicated, long generation) {

    /** An answer without the generation. */
    public LogAppended(long firstVersion, long lastVersion, boolean deduplicated) {
        this(firstVersion, lastVersion, deduplicated, 0);
    }
}
