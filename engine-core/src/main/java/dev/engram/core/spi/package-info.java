/**
 * The provider SPI. A {@link dev.engram.core.spi.BackendProvider} is discovered with {@link java.util.ServiceLoader}
 * and creates a {@link dev.engram.core.spi.Backend}: an event log, a checkpoint store and a change feed that work on
 * encoded bytes. The engine does encoding, folding, caching and policy; a backend stores, orders and guards.
 */
@NullMarked
package dev.engram.core.spi;

import org.jspecify.annotations.NullMarked;
