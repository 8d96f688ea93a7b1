/**
 * Fact extraction and the built-in model clients: {@link dev.engram.core.extraction.OpenAiEmbedder} and
 * {@link dev.engram.core.extraction.OpenAiFactExtractor} talk to any OpenAI-compatible HTTP API, and the background
 * pipeline turns acknowledged turns into facts in the memory store, exactly once per turn.
 */
@NullMarked
package dev.engram.core.extraction;

import org.jspecify.annotations.NullMarked;
