package dev.engram.core.model;

/**
 * The result of an acknowledged append: the versions its events got.
 *
 * @param deduplicated true when every event id had been appended before, so nothing was written and the
 *                     original versions are returned
 */
public record Appended(ThreadKey key, long firstVersion, long lastVersion, boolean deduplicated) {
}
