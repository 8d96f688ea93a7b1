package dev.engram.core.spi;

/** A storage backend plugin, found through {@code META-INF/services/dev.engram.core.spi.BackendProvider}. */
public interface BackendProvider {

    /** The name configuration selects it by, e.g. {@code local} or {@code redis}. */
    String name();

    /** Creates a backend; connections may open lazily, but invalid options fail here with a {@link dev.engram.core.ConfigurationException}. */
    Backend create(BackendContext context);
}
