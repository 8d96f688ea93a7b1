package dev.engram.core.spi;

/** Optional properties of a backend; the conformance kit runs the tests of the ones a backend declares. */
public enum Capability {
    /** Acknowledged writes survive a restart of the process. */
    DURABLE,
    /** Two backends created with the same options share data, and each one's change feed sees the other's appends. */
    SHARED_STORAGE
}
