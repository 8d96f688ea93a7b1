/**
 * The {@code redis} provider: event logs, thread records, checkpoints and the change feed in plain Redis 7
 * (standalone or Cluster) through Lettuce's reactive API. Every key of a thread shares one hash slot, and every
 * multi-key change is one Lua script on that thread's keys.
 */
@NullMarked
package dev.engram.backend.redis;

import org.jspecify.annotations.NullMarked;
