/** A small command line over the embedded engine, for trying Engram out and for scripts. */
@NullMarked
package dev.engram.core.cli;

import org.jspecify.annotations.NullMarked;
