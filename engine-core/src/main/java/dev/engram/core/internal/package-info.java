/** Helpers shared inside Engram; not an API. */
@NullMarked
package dev.engram.core.internal;

import org.jspecify.annotations.NullMarked;
