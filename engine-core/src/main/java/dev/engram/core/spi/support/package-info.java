/** Building blocks for backends that keep a thread's head in process (the built-in {@code memory} and {@code local}). */
@NullMarked
package dev.engram.core.spi.support;

import org.jspecify.annotations.NullMarked;
