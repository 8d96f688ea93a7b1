package dev.engram.core.local;

/** When the {@code local} provider forces appended data to disk. */
public enum SyncMode {
    /** Each group commit is synced before its appends are acknowledged: an acknowledged append survives a power loss. */
    ALWAYS,
    /**
     * Appends are acknowledged once written to the OS (they survive a crash of the process); the log is synced every
     * {@code syncInterval}, so a machine crash may lose what was acknowledged within the last interval.
     */
    INTERVAL,
    /** Never synced explicitly: survives a crash of the process, and a machine crash loses whatever the OS had not written. */
    NEVER
}
