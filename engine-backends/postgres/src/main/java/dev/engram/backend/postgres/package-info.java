/**
 * The {@code postgres} provider: thread records, event logs, checkpoints and memory items in PostgreSQL tables, appends through one
 * PL/pgSQL function call per batch, and a change feed over LISTEN/NOTIFY. Only the provider is public.
 */
@NullMarked
package dev.engram.backend.postgres;

import org.jspecify.annotations.NullMarked;
