/** Binary encoding of events and checkpoints: Kryo with hand-written serializers behind a checked header. */
@NullMarked
package dev.engram.core.codec;

import org.jspecify.annotations.NullMarked;
