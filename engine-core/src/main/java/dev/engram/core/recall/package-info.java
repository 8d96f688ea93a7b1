/**
 * The engine behind {@link dev.engram.core.memory.MemoryStore}: validation, timestamps, TTL, embedding, field filters
 * and ranking (BM25 over the item's text, cosine similarity over unit vectors) of the records a backend's
 * {@link dev.engram.core.spi.MemoryStorage} returns for a namespace prefix. Public only so that
 * {@link dev.engram.core.Engram} can reach it; not an API.
 */
@NullMarked
package dev.engram.core.recall;

import org.jspecify.annotations.NullMarked;
