/** Engram's immutable value types: thread keys, events, changes, messages, states and checkpoints. */
@NullMarked
package dev.engram.core.model;

import org.jspecify.annotations.NullMarked;
