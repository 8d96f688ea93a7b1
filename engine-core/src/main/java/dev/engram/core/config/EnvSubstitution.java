package dev.engram.core.config;

import dev.engram.core.ConfigurationException;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Replaces {@code ${VAR}} and {@code ${VAR:-default}} in one configuration value; {@code $${} stands for a literal {@code ${}.
 * Replacements are not scanned again, and a default is literal text that ends at the first {@code }}.
 */
final class EnvSubstitution {

    private static final Pattern NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");

    private EnvSubstitution() {
    }

    /**
     * The value with every reference replaced.
     *
     * @param where  the source and config path of the value, for error messages
     * @param secret whether the value's key looks secret: then a malformed reference is not echoed
     * @throws ConfigurationException when a reference is malformed, or names an unset variable without a default
     */
    static String apply(String value, Map<String, String> env, String where, boolean secret) {
        if (value.indexOf('$') < 0) {
            return value;
        }
        StringBuilder out = new StringBuilder(value.length());
        int i = 0;
        while (i < value.length()) {
            if (value.startsWith("$${", i)) {
                out.append("${");
                i += 3;
            } else if (value.startsWith("${", i)) {
                int end = value.indexOf('}', i + 2);
                if (end < 0) {
                    throw new ConfigurationException(where + ": unterminated '${' (write '$${' for a literal '${')");
                }
                out.append(resolve(value.substring(i + 2, end), env, where, secret));
                i = end + 1;
            } else {
                out.append(value.charAt(i));
                i++;
            }
        }
        return out.toString();
    }

    private static String resolve(String reference, Map<String, String> env, String where, boolean secret) {
        int sep = reference.indexOf(":-");
        String name = sep < 0 ? reference : reference.substring(0, sep);
        if (!NAME.matcher(name).matches()) {
            // a secret that happens to contain '${' must not be echoed
            String shown = secret ? "a '${...}'" : "'${" + name + "}'";
            throw new ConfigurationException(where + ": " + shown + " is not a valid variable reference;"
                    + " use ${NAME} or ${NAME:-default}, or '$${' for a literal '${'");
        }
        String value = env.get(name);
        if (sep >= 0) {
            // shell semantics: ':-' also replaces a variable that is set but empty
            return value == null || value.isEmpty() ? reference.substring(sep + 2) : value;
        }
        if (value == null) {
            throw new ConfigurationException(where + ": environment variable " + name + " is not set and ${" + name
                    + "} has no default (write ${" + name + ":-default} to give one)");
        }
        return value;
    }
}
