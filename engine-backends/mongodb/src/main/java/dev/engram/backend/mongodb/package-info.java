/**
 * The {@code mongodb} provider: thread event logs, records, checkpoints and memory items in MongoDB through the Reactive Streams
 * driver. An append is one document (or an ordered run of documents whose last one commits it), guarded by a unique
 * index, so no transaction is needed. See the module README for the data layout and its guarantees.
 */
@NullMarked
package dev.engram.backend.mongodb;

import org.jspecify.annotations.NullMarked;
