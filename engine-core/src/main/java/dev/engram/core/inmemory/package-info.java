/**
 * The {@code memory} provider: volatile, in process. Backends created with the same {@code name} option share one
 * store (and see each other's appends and memory items), which lets tests run two engines over the same data.
 */
@NullMarked
package dev.engram.core.inmemory;

import org.jspecify.annotations.NullMarked;
