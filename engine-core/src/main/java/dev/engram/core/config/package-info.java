/** Configuration: {@code engram.yaml}, environment overrides, typed provider options. */
@NullMarked
package dev.engram.core.config;

import org.jspecify.annotations.NullMarked;
