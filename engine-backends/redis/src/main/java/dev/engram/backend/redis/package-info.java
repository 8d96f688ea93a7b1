/**
 * The {@code redis} provider: event logs, thread records, checkpoints, the change feed and memory items in plain
 * Redis 7 (standalone or Cluster) through Lettuce's reactive API. Every key of a thread shares one hash slot, as does
 * every key of a memory space (a tenant's items under one first namespace segment), and every multi-key change is
 * one Lua script on the keys of one of them.
 */
@NullMarked
package dev.engram.backend.redis;

import org.jspecify.annotations.NullMarked;
