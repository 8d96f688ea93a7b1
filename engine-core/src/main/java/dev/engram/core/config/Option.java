package dev.engram.core.config;

import dev.engram.core.ConfigurationException;
import java.time.Duration;
import java.util.Locale;
import java.util.Objects;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;

/**
 * A typed provider option: its name in the provider's config section, how to parse it, and its default.
 * A sensitive option's value is masked wherever options are printed.
 */
public final class Option<T> {

    private final String name;
    private final Function<String, T> parser;
    private final @Nullable T defaultValue;
    private final boolean sensitive;

    private Option(String name, Function<String, T> parser, @Nullable T defaultValue, boolean sensitive) {
        this.name = Objects.requireNonNull(name, "name");
        this.parser = parser;
        this.defaultValue = defaultValue;
        this.sensitive = sensitive;
    }

    public static Option<String> string(String name, @Nullable String defaultValue) {
        return new Option<>(name, s -> s, defaultValue, false);
    }

    public static Option<Integer> integer(String name, @Nullable Integer defaultValue) {
        return new Option<>(name, s -> Integer.parseInt(s.trim()), defaultValue, false);
    }

    public static Option<Long> bytes(String name, @Nullable Long defaultValue) {
        return new Option<>(name, Sizes::parseBytes, defaultValue, false);
    }

    public static Option<Boolean> bool(String name, @Nullable Boolean defaultValue) {
        return new Option<>(name, Option::parseBool, defaultValue, false);
    }

    public static Option<Duration> duration(String name, @Nullable Duration defaultValue) {
        return new Option<>(name, Sizes::parseDuration, defaultValue, false);
    }

    public static <E extends Enum<E>> Option<E> enumOf(String name, Class<E> type, @Nullable E defaultValue) {
        return new Option<>(name, s -> Enum.valueOf(type, s.trim().toUpperCase(Locale.ROOT)), defaultValue, false);
    }

    /** The same option, masked when printed. */
    public Option<T> sensitive() {
        return new Option<>(name, parser, defaultValue, true);
    }

    public String name() {
        return name;
    }

    public boolean isSensitive() {
        return sensitive;
    }

    public @Nullable T defaultValue() {
        return defaultValue;
    }

    T parse(String raw, String section) {
        try {
            return parser.apply(raw);
        } catch (RuntimeException e) {
            if (sensitive || ProviderOptions.isSecretName(name)) {
                // the parser's message and the cause usually quote the raw value
                throw new ConfigurationException(section + "." + name + ": cannot read (masked)");
            }
            String shown = ProviderOptions.mask(name, raw);
            if (!shown.equals(raw)) {
                // a URL with a password: the parser's message would quote it unmasked
                throw new ConfigurationException(section + "." + name + ": cannot read '" + shown + "'");
            }
            throw new ConfigurationException(section + "." + name + ": cannot read '" + raw + "': " + e.getMessage(), e);
        }
    }

    static Boolean parseBool(String s) {
        return switch (s.trim().toLowerCase(Locale.ROOT)) {
            case "true", "yes", "on", "1" -> true;
            case "false", "no", "off", "0" -> false;
            default -> throw new IllegalArgumentException("expected true or false");
        };
    }

    @Override
    public String toString() {
        return name;
    }
}
