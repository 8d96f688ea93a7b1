/**
 * Building blocks for backends: grouping concurrent appends into one write ({@link dev.engram.core.spi.support.GroupCommit}),
 * searching a driver failure's causes ({@link dev.engram.core.spi.support.Causes}), and, for those that keep a thread's head
 * in process (the built-in {@code memory} and {@code local}), the rest.
 */
@NullMarked
package dev.engram.core.spi.support;

import org.jspecify.annotations.NullMarked;
