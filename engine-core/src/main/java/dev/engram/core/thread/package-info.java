/** The engine behind {@link dev.engram.core.ThreadHandle}: appends, rehydration, the state cache, checkpoints and watch. Not an API. */
@NullMarked
package dev.engram.core.thread;

import org.jspecify.annotations.NullMarked;
