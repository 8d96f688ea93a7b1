package dev.engram.tck;

/** Supplies the backend under test: fresh storage for each test, that no other test reads or writes. */
@FunctionalInterface
public interface BackendUnderTest {

    /**
     * Allocates storage for one test (a unique store name, a new directory, a unique key prefix, …) and returns the
     * configuration that opens an engine on it. Called once per test; every engine the test opens uses this storage.
     */
    TestStorage newStorage() throws Exception;
}
