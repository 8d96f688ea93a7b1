package dev.engram.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.engram.core.ConfigurationException;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/** Reads the {@code server} section of {@code engram.yaml}, with {@code ${VAR}} and {@code ${VAR:-default}} replaced from the environment. */
final class ServerConfigFile {

    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
    private static final Pattern VARIABLE = Pattern.compile("\\$\\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?}");

    private ServerConfigFile() {
    }

    /** The file the engine's configuration is read from: the one given, else ENGRAM_CONFIG's, else ./engram.yaml when present. */
    static @Nullable Path locate(@Nullable Path given, Map<String, String> env) {
        if (given != null) {
            return given;
        }
        String named = env.get("ENGRAM_CONFIG");
        if (named != null && !named.isBlank()) {
            return Path.of(named.trim());
        }
        Path implicit = Path.of("engram.yaml");
        return Files.exists(implicit) ? implicit : null;
    }

    static ServerOptions read(@Nullable Path file, Map<String, String> env) {
        if (file == null) {
            return new ServerOptions();
        }
        try {
            JsonNode root = YAML.readTree(file.toFile());
            JsonNode server = root == null ? null : root.get("server");
            if (server == null || server.isNull()) {
                return new ServerOptions();
            }
            if (!server.isObject()) {
                throw new ConfigurationException(file + ": server: expected a mapping");
            }
            JsonNode substituted = substitute(server, env, file + ": server");
            return new ServerOptions(new JsonObject(YAML.convertValue(substituted, Map.class)));
        } catch (IOException e) {
            throw new ConfigurationException(file + ": cannot read the server section: " + e.getMessage(), e);
        } catch (ConfigurationException e) {
            throw e.getMessage().startsWith(file.toString()) ? e : new ConfigurationException(file + ": " + e.getMessage(), e);
        }
    }

    /** Variables are replaced in keys as well as values: an API key's map key is the secret itself. */
    private static JsonNode substitute(JsonNode node, Map<String, String> env, String where) {
        if (node.isObject()) {
            ObjectNode copy = JsonNodeFactory.instance.objectNode();
            for (Map.Entry<String, JsonNode> e : node.properties()) {
                String key = substituteText(e.getKey(), env, where + " (a key)");
                if (key.isEmpty()) {
                    throw new ConfigurationException(where + ": a key is empty after variable substitution");
                }
                if (copy.has(key)) {
                    throw new ConfigurationException(where + ": two keys are the same after variable substitution");
                }
                copy.set(key, substitute(e.getValue(), env, where + "." + e.getKey()));
            }
            return copy;
        }
        if (node.isTextual()) {
            return JsonNodeFactory.instance.textNode(substituteText(node.textValue(), env, where));
        }
        return node;
    }

    private static String substituteText(String text, Map<String, String> env, String where) {
        Matcher m = VARIABLE.matcher(text);
        StringBuilder out = new StringBuilder();
        while (m.find()) {
            String value = env.get(m.group(1));
            if (value == null || value.isEmpty()) {
                if (m.group(2) == null) {
                    throw new ConfigurationException(where + ": variable " + m.group(1) + " is not set");
                }
                value = m.group(2);
            }
            m.appendReplacement(out, Matcher.quoteReplacement(value));
        }
        m.appendTail(out);
        return out.toString();
    }
}
