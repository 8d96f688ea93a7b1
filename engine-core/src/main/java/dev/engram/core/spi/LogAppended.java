package dev.engram.core.spi;

/** A backend's answer to an acknowledged {@link LogAppend}. */
public record LogAppended(long firstVersion, long lastVersion, boolean deduplicated) {
}
