package dev.engram.core.spi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.engram.core.ConfigurationException;
import dev.engram.core.config.EngramConfig;
import java.io.IOException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Collections;
import java.util.Enumeration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

class BackendProvidersTest {

    private static final String SERVICE_FILE = "META-INF/services/" + BackendProvider.class.getName();

    @TempDir
    Path dir;

    private final Logger logger = (Logger) LoggerFactory.getLogger(BackendProviders.class);
    private final ListAppender<ILoggingEvent> logged = new ListAppender<>();

    @BeforeEach
    void captureLog() {
        logged.start();
        logger.addAppender(logged);
    }

    @AfterEach
    void releaseLog() {
        logger.detachAppender(logged);
    }

    @Test
    void finds_the_providers_registered_on_the_class_path_in_name_order() {
        List<String> names = BackendProviders.available(getClass().getClassLoader()).stream().map(BackendProvider::name).toList();

        // the built-in providers join these once they exist, so only order and presence are asserted
        assertThat(names).contains("test-a", "test-b").isSorted().doesNotHaveDuplicates();
    }

    @Test
    void selects_the_configured_provider_with_its_own_options() throws IOException {
        EngramConfig config = EngramConfig.defaults().withProvider("test-b")
                .withProviderOption("test-b", "url", "x://host")
                .withProviderOption("local", "dataDir", "/srv");

        BackendProviders.Selected selected = BackendProviders.select(config, isolated(TestProviders.A.class, TestProviders.B.class));

        assertThat(selected.provider()).isInstanceOf(TestProviders.B.class);
        assertThat(selected.name()).isEqualTo("test-b");
        assertThat(selected.isFallback()).isFalse();
        assertThat(selected.options().section()).isEqualTo("test-b");
        assertThat(selected.options().asMap()).containsExactly(java.util.Map.entry("url", "x://host"));
        assertThat(logged.list).as("nothing to warn about").noneMatch(e -> e.getLevel() == Level.WARN);
    }

    @Test
    void selects_through_the_context_class_loader_by_default() {
        BackendProviders.Selected selected = BackendProviders.select(EngramConfig.defaults().withProvider("test-a").withStrict(true));

        assertThat(selected.provider()).isInstanceOf(TestProviders.A.class);
    }

    @Test
    void falls_back_to_local_with_a_warning_naming_wanted_and_available_providers() throws IOException {
        EngramConfig config = EngramConfig.defaults().withProvider("redis")
                .withProviderOption("redis", "url", "redis://h:6379")
                .withProviderOption("local", "dataDir", "/srv/engram");

        BackendProviders.Selected selected = BackendProviders.select(config,
                isolated(TestProviders.B.class, TestProviders.Local.class, TestProviders.A.class));

        assertThat(selected.provider()).isInstanceOf(TestProviders.Local.class);
        assertThat(selected.isFallback()).isTrue();
        assertThat(selected.requested()).isEqualTo("redis");
        assertThat(selected.options().section()).as("the fallback gets its own options, not redis's").isEqualTo("local");
        assertThat(selected.options().raw("dataDir")).isEqualTo("/srv/engram");
        assertThat(logged.list).singleElement().satisfies(e -> {
            assertThat(e.getLevel()).isEqualTo(Level.WARN);
            assertThat(e.getFormattedMessage())
                    .contains("Provider 'redis' is not on the classpath")
                    .contains("available: local, test-a, test-b")
                    .contains("falling back to 'local'");
        });
    }

    @Test
    void strict_fails_listing_the_available_providers_in_name_order() throws IOException {
        EngramConfig config = EngramConfig.defaults().withProvider("redis").withStrict(true);
        ClassLoader loader = isolated(TestProviders.B.class, TestProviders.Local.class, TestProviders.A.class);

        assertThatThrownBy(() -> BackendProviders.select(config, loader))
                .isInstanceOf(ConfigurationException.class)
                .hasMessage("provider 'redis' is not on the classpath; available: local, test-a, test-b");
        assertThat(logged.list).noneMatch(e -> e.getLevel() == Level.WARN);
    }

    @Test
    void fails_when_neither_the_configured_provider_nor_local_is_there() throws IOException {
        EngramConfig config = EngramConfig.defaults().withProvider("redis");
        ClassLoader loader = isolated(TestProviders.B.class, TestProviders.A.class);

        assertThatThrownBy(() -> BackendProviders.select(config, loader))
                .isInstanceOf(ConfigurationException.class)
                .hasMessage("provider 'redis' is not on the classpath, nor is the fallback 'local'; available: test-a, test-b");
    }

    @Test
    void fails_when_local_itself_is_wanted_and_missing() throws IOException {
        ClassLoader loader = isolated(TestProviders.A.class);

        assertThatThrownBy(() -> BackendProviders.select(EngramConfig.defaults(), loader))
                .isInstanceOf(ConfigurationException.class)
                .hasMessage("provider 'local' is not on the classpath; available: test-a");
    }

    @Test
    void says_so_when_no_provider_is_there_at_all() throws IOException {
        ClassLoader loader = isolated();

        assertThat(BackendProviders.available(loader)).isEmpty();
        assertThatThrownBy(() -> BackendProviders.select(EngramConfig.defaults().withStrict(true), loader))
                .hasMessage("provider 'local' is not on the classpath; available: (none)");
    }

    @Test
    void two_providers_with_one_name_are_rejected_naming_both_classes() throws IOException {
        ClassLoader loader = isolated(TestProviders.A.class, TestProviders.OtherA.class);

        assertThatThrownBy(() -> BackendProviders.available(loader))
                .isInstanceOf(ConfigurationException.class)
                .hasMessageContaining("two backend providers are named 'test-a'")
                .hasMessageContaining(TestProviders.A.class.getName())
                .hasMessageContaining(TestProviders.OtherA.class.getName());
        assertThatThrownBy(() -> BackendProviders.select(EngramConfig.defaults().withProvider("test-b"), loader))
                .as("a clash fails selection even when the clashing name is not the one wanted")
                .isInstanceOf(ConfigurationException.class);
    }

    @Test
    void a_provider_without_a_name_is_rejected() throws IOException {
        ClassLoader loader = isolated(TestProviders.Blank.class);

        assertThatThrownBy(() -> BackendProviders.available(loader))
                .isInstanceOf(ConfigurationException.class)
                .hasMessageContaining(TestProviders.Blank.class.getName() + " has no name");
    }

    @Test
    void a_provider_that_cannot_be_instantiated_fails_as_configuration_error() throws IOException {
        ClassLoader loader = isolated(TestProviders.A.class, TestProviders.Broken.class);

        assertThatThrownBy(() -> BackendProviders.available(loader))
                .isInstanceOf(ConfigurationException.class)
                .hasMessageStartingWith("cannot load a backend provider")
                .hasMessageContaining(TestProviders.Broken.class.getName())
                .hasRootCauseMessage("missing driver");
    }

    @Test
    void the_selection_prints_its_options_masked() throws IOException {
        EngramConfig config = EngramConfig.defaults().withProvider("test-a")
                .withProviderOption("test-a", "password", "hunter2")
                .withProviderOption("test-a", "url", "redis://user:hunter3@host:6379");

        BackendProviders.Selected selected = BackendProviders.select(config, isolated(TestProviders.A.class));

        assertThat(selected.toString()).contains("password=****", "redis://user:****@host").doesNotContain("hunter2", "hunter3");
    }

    /** A class loader whose only provider registrations are the given classes, so tests control names and clashes. */
    private ClassLoader isolated(Class<?>... providers) throws IOException {
        Path file = Files.createTempFile(dir, "providers", ".txt");
        Files.write(file, Arrays.stream(providers).map(Class::getName).toList());
        URL url = file.toUri().toURL();
        return new ClassLoader(getClass().getClassLoader()) {
            @Override
            public Enumeration<URL> getResources(String name) throws IOException {
                return SERVICE_FILE.equals(name) ? Collections.enumeration(List.of(url)) : super.getResources(name);
            }
        };
    }
}
