package dev.engram.tck;

import static org.assertj.core.api.Assertions.assertThat;

import dev.engram.core.Engram;
import dev.engram.core.spi.Capability;
import java.util.EnumSet;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The hook every kit interface extends: {@link #backend()} supplies the backend under test. Tests take an
 * {@link EngramFixture} parameter, which opens engines on storage of their own.
 *
 * <p>Optional features are gated by {@link Capability}: a backend declaring one must also implement its kit
 * ({@link #kitOf(Capability)}), and a backend implementing such a kit must declare the capability. This is checked
 * here, so every test a class inherits runs; nothing is skipped.
 */
@ExtendWith(EngramFixtureExtension.class)
@Timeout(value = 120, unit = TimeUnit.SECONDS)
public interface EngramKit {

    /** The backend under test. */
    BackendUnderTest backend();

    /** The kit interface that tests a capability. */
    static Class<? extends EngramKit> kitOf(Capability capability) {
        return switch (capability) {
            case DURABLE -> DurabilityKit.class;
            case SHARED_STORAGE -> SharedStorageKit.class;
        };
    }

    @Test
    default void declaredCapabilitiesMatchTheImplementedKits(EngramFixture fixture) {
        Engram engram = fixture.open();
        Set<Capability> declared = engram.backend().capabilities();
        Set<Capability> tested = EnumSet.noneOf(Capability.class);
        for (Capability c : Capability.values()) {
            if (kitOf(c).isInstance(this)) {
                tested.add(c);
            }
        }
        assertThat(tested)
                .as("%s must implement exactly the kits of the capabilities its backend declares (%s)", getClass().getSimpleName(), declared)
                .containsExactlyInAnyOrderElementsOf(declared);
    }
}
