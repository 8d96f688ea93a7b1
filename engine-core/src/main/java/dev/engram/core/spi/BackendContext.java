package dev.engram.core.spi;

import dev.engram.core.config.ProviderOptions;
import java.time.Clock;

/** What a provider receives to create a backend: its own options and the engine's clock (used for timestamps and expiry). */
public record BackendContext(ProviderOptions options, Clock clock) {
}
