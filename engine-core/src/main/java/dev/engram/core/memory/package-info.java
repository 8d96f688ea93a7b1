/**
 * The cross-thread memory store: facts and summaries about a user, kept beside the threads. Items are addressed by
 * (tenant, namespace path, key), searched by namespace prefix with field filters and a ranked text query, and may
 * be extracted from turns by a {@link dev.engram.core.memory.FactExtractor} in the background.
 */
@NullMarked
package dev.engram.core.memory;

import org.jspecify.annotations.NullMarked;
