package dev.engram.core.config;

import dev.engram.core.ConfigurationException;
import java.util.Collections;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * The options of one provider (its section of {@code engram.yaml}), read through typed {@link Option}s.
 * {@link #toString()} masks values whose names look secret and passwords inside URLs.
 */
public final class ProviderOptions {

    private static final Pattern SECRET_NAME =
            Pattern.compile("(?i).*(password|passwd|secret|token|apikey|api-key|api_key|credential|private.?key|access.?key).*");
    private static final Pattern URL_PASSWORD = Pattern.compile("(://[^:/@]*:)([^@/]*)(@)");

    private final String section;
    private final Map<String, String> values;

    public ProviderOptions(String section, Map<String, String> values) {
        this.section = section;
        this.values = Collections.unmodifiableMap(new TreeMap<>(values));
    }

    public static ProviderOptions empty(String section) {
        return new ProviderOptions(section, Map.of());
    }

    /** The option's value, or its default; {@link ConfigurationException} when it is unreadable or required and missing. */
    public <T> T get(Option<T> option) {
        T value = find(option).orElse(option.defaultValue());
        if (value == null) {
            throw new ConfigurationException(section + "." + option.name() + " is required");
        }
        return value;
    }

    public <T> Optional<T> find(Option<T> option) {
        String raw = values.get(option.name());
        return raw == null || raw.isBlank() ? Optional.empty() : Optional.of(option.parse(raw, section));
    }

    public @Nullable String raw(String name) {
        return values.get(name);
    }

    public Map<String, String> asMap() {
        return values;
    }

    public String section() {
        return section;
    }

    /** A copy with {@code name} set to {@code value}. */
    public ProviderOptions with(String name, String value) {
        TreeMap<String, String> copy = new TreeMap<>(values);
        copy.put(name, value);
        return new ProviderOptions(section, copy);
    }

    /** Whether an option with this name holds a secret (a password, token, key…), so that its value is never printed. */
    public static boolean isSecretName(String name) {
        return SECRET_NAME.matcher(name).matches();
    }

    /** Masks a value for printing when its name looks secret, and a password inside a URL. */
    public static String mask(String name, String value) {
        if (isSecretName(name)) {
            return "****";
        }
        return URL_PASSWORD.matcher(value).replaceAll("$1****$3");
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder(section).append('{');
        values.forEach((k, v) -> sb.append(sb.charAt(sb.length() - 1) == '{' ? "" : ", ").append(k).append('=').append(mask(k, v)));
        return sb.append('}').toString();
    }
}
