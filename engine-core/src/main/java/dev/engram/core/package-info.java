/** Engram's embedded API: open an engine, work with threads, and the exceptions every operation may raise. */
@NullMarked
package dev.engram.core;

import org.jspecify.annotations.NullMarked;
