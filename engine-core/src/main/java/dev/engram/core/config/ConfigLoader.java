package dev.engram.core.config;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLParser;
import com.fasterxml.jackson.dataformat.yaml.snakeyaml.error.MarkedYAMLException;
import dev.engram.core.ConfigurationException;
import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Function;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads {@code engram.yaml} with {@code ${VAR}} / {@code ${VAR:-default}} substitution and applies {@code ENGRAM_*} overrides.
 * The shape of the file and every variable are documented in {@code engine-core/README.md}.
 */
final class ConfigLoader {

    static final String DEFAULT_FILE = "engram.yaml";
    static final String ENV_CONFIG = "ENGRAM_CONFIG";
    static final String ENV_PROVIDER = "ENGRAM_PROVIDER";
    static final String ENV_STRICT = "ENGRAM_STRICT";
    static final String ENV_DATA_DIR = "ENGRAM_DATA_DIR";
    static final String ENV_SYNC = "ENGRAM_SYNC";
    static final String ENV_THREAD_TTL = "ENGRAM_THREAD_TTL";
    static final String ENV_PROVIDERS_PREFIX = "ENGRAM_PROVIDERS_";

    private static final Logger LOG = LoggerFactory.getLogger(ConfigLoader.class);
    // a key without a value is null in YAML; the builder's defaults would read it as ""
    private static final YAMLFactory YAML = YAMLFactory.builder().enable(YAMLParser.Feature.EMPTY_STRING_AS_NULL).build();
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
    private static final String ENVIRONMENT = "environment";
    private static final String NEVER = "never";

    // "server" is engine-server's section; the engine ignores it
    private static final Set<String> TOP_KEYS = Set.of("provider", "strict", "providers", "limits", "checkpoints", "watch", "threads", "cache", "memory", "server");
    private static final Set<String> LIMITS_KEYS = Set.of("maxEventBytes", "maxEventsPerAppend");
    private static final Set<String> CHECKPOINTS_KEYS = Set.of("everyEvents", "tailBytes", "keep", "deleteCoveredEvents");
    private static final Set<String> WATCH_KEYS = Set.of("maxLag", "batchSize");
    private static final Set<String> THREADS_KEYS = Set.of("ttl");
    private static final Set<String> CACHE_KEYS = Set.of("maxThreads");
    private static final Set<String> MEMORY_KEYS = Set.of("maxMemories", "maxSummaries", "ttl", "refreshTtlOnRead", "textFields", "maxItemBytes",
            "embedding", "extraction");
    private static final Set<String> ENDPOINT_KEYS = Set.of("enabled", "baseUrl", "model", "apiKeyEnv", "timeout");
    private static final Set<String> EMBEDDING_KEYS = union(ENDPOINT_KEYS, Set.of("fields", "lexicalWeight"));
    private static final Set<String> EXTRACTION_KEYS = union(ENDPOINT_KEYS, Set.of("userMetadataKey", "namespace", "queueCapacity",
            "workers", "maxTurnsPerCall", "maxAttempts", "initialBackoff", "maxBackoff"));

    /** Where the values being read come from (a file's path, or "environment"), first in every error message. */
    private final String source;

    private ConfigLoader(String source) {
        this.source = source;
    }

    static EngramConfig load(@Nullable Path file, Map<String, String> env) {
        return load(file, env, Path.of(""));
    }

    /** As {@link #load(Path, Map)}, with relative paths resolved against {@code workingDir} instead of the process's. */
    static EngramConfig load(@Nullable Path file, Map<String, String> env, Path workingDir) {
        Objects.requireNonNull(env, "env");
        Objects.requireNonNull(workingDir, "workingDir");
        EngramConfig fromFile;
        if (file != null) {
            fromFile = readRequired(workingDir.resolve(file), "given explicitly", env);
        } else if (!isBlank(env.get(ENV_CONFIG))) {
            fromFile = readRequired(workingDir.resolve(env.get(ENV_CONFIG).trim()), "named by " + ENV_CONFIG, env);
        } else {
            Path implicit = workingDir.resolve(DEFAULT_FILE);
            if (Files.exists(implicit)) {
                fromFile = read(implicit, env);
            } else {
                LOG.debug("No {} in the working directory; starting from the defaults", DEFAULT_FILE);
                fromFile = EngramConfig.defaults();
            }
        }
        return applyEnvironment(fromFile, env);
    }

    private static EngramConfig readRequired(Path path, String how, Map<String, String> env) {
        if (!Files.exists(path)) {
            throw new ConfigurationException("configuration file " + path.toAbsolutePath() + " (" + how + ") does not exist");
        }
        return read(path, env);
    }

    private static EngramConfig read(Path path, Map<String, String> env) {
        if (!Files.isRegularFile(path)) {
            throw new ConfigurationException("configuration file " + path.toAbsolutePath() + " is not a regular file");
        }
        LOG.debug("Reading configuration from {}", path.toAbsolutePath());
        ConfigLoader loader = new ConfigLoader(path.toString());
        ObjectNode root = loader.parse(path);
        return loader.map((ObjectNode) loader.substitute(root, "", "", env));
    }

    // ---- parsing ------------------------------------------------------------------------------------------------

    private ObjectNode parse(Path path) {
        try (Reader reader = Files.newBufferedReader(path, StandardCharsets.UTF_8);
             JsonParser parser = YAML.createParser(reader)) {
            JsonToken first = parser.nextToken();
            if (first == null) {
                return NODES.objectNode();
            }
            JsonNode root = readNode(parser, "");
            if (parser.nextToken() != null) {
                throw fail("", "holds more than one YAML document; put the whole configuration in one");
            }
            if (root.isNull() || root.isTextual() && root.asText().isEmpty()) {
                return NODES.objectNode();
            }
            if (!root.isObject()) {
                throw fail("", "expected a mapping of options at the top level, got " + kind(root));
            }
            return (ObjectNode) root;
        } catch (JsonProcessingException e) {
            // no cause attached: the YAML library's messages quote the offending line, which may hold a secret
            JsonLocation at = e.getLocation();
            String problem = e instanceof MarkedYAMLException m ? m.getProblem() : firstLine(e.getOriginalMessage());
            throw new ConfigurationException(source + ": invalid YAML" + (at == null ? "" : " at line " + at.getLineNr()
                    + ", column " + at.getColumnNr()) + ": " + problem);
        } catch (IOException e) {
            throw new ConfigurationException(source + ": cannot read: " + e.getMessage(), e);
        }
    }

    /**
     * Builds the tree from the token stream, keeping every scalar as the text written in the file: the YAML resolver
     * would turn {@code 0123} into 83 and {@code 1.10} into 1.1, which must not happen to a password or a version.
     */
    private JsonNode readNode(JsonParser parser, String path) throws IOException {
        JsonToken token = parser.currentToken();
        if (token == null) {
            throw fail(path, "the document ends in the middle of this value");
        }
        if (token == JsonToken.START_OBJECT) {
            ObjectNode object = NODES.objectNode();
            while (parser.nextToken() == JsonToken.FIELD_NAME) {
                String key = parser.currentName();
                String keyPath = join(path, key);
                int line = parser.currentLocation().getLineNr();
                parser.nextToken();
                JsonNode value = readNode(parser, keyPath);
                if (object.has(key)) {
                    throw fail(keyPath, "is set twice (again at line " + line + ")");
                }
                object.set(key, value);
            }
            return object;
        }
        if (token == JsonToken.START_ARRAY) {
            ArrayNode array = NODES.arrayNode();
            while (parser.nextToken() != JsonToken.END_ARRAY) {
                array.add(readNode(parser, path + "[" + array.size() + "]"));
            }
            return array;
        }
        if (token == JsonToken.VALUE_NULL) {
            return NODES.nullNode();
        }
        return NODES.textNode(parser.getText());
    }

    private JsonNode substitute(JsonNode node, String path, String key, Map<String, String> env) {
        if (node.isObject()) {
            ObjectNode copy = NODES.objectNode();
            node.properties().forEach(f -> copy.set(f.getKey(), substitute(f.getValue(), join(path, f.getKey()), f.getKey(), env)));
            return copy;
        }
        if (node.isArray()) {
            ArrayNode copy = NODES.arrayNode();
            for (JsonNode item : node) {
                copy.add(substitute(item, path + "[" + copy.size() + "]", key, env));
            }
            return copy;
        }
        if (node.isTextual()) {
            return NODES.textNode(EnvSubstitution.apply(node.asText(), env, where(path), ProviderOptions.isSecretName(key)));
        }
        return node;
    }

    // ---- mapping ------------------------------------------------------------------------------------------------

    private EngramConfig map(ObjectNode root) {
        requireKnownKeys(root, "", TOP_KEYS);
        String provider = orDefault(scalar(root, "provider", "provider"), EngramConfig.DEFAULT_PROVIDER);
        boolean strict = orDefault(bool(root, "strict", "strict"), false);
        Map<String, ProviderOptions> providers = providers(root.get("providers"));

        ObjectNode l = section(root, "limits", LIMITS_KEYS);
        ObjectNode c = section(root, "checkpoints", CHECKPOINTS_KEYS);
        ObjectNode w = section(root, "watch", WATCH_KEYS);
        ObjectNode t = section(root, "threads", THREADS_KEYS);
        ObjectNode k = section(root, "cache", CACHE_KEYS);

        long maxEventBytes = orDefault(bytes(l, "maxEventBytes", "limits.maxEventBytes"), Limits.DEFAULT_MAX_EVENT_BYTES);
        int maxEventsPerAppend = orDefault(integer(l, "maxEventsPerAppend", "limits.maxEventsPerAppend"), Limits.DEFAULT_MAX_EVENTS_PER_APPEND);
        Limits limits = build(() -> new Limits(maxEventBytes, maxEventsPerAppend));

        int everyEvents = orDefault(integer(c, "everyEvents", "checkpoints.everyEvents"), CheckpointPolicy.DEFAULT_EVERY_EVENTS);
        long tailBytes = orDefault(bytes(c, "tailBytes", "checkpoints.tailBytes"), CheckpointPolicy.DEFAULT_TAIL_BYTES);
        int keep = orDefault(integer(c, "keep", "checkpoints.keep"), CheckpointPolicy.DEFAULT_KEEP);
        boolean deleteCovered = orDefault(bool(c, "deleteCoveredEvents", "checkpoints.deleteCoveredEvents"), false);
        CheckpointPolicy checkpoints = build(() -> new CheckpointPolicy(everyEvents, tailBytes, keep, deleteCovered));

        int maxLag = orDefault(integer(w, "maxLag", "watch.maxLag"), WatchSettings.DEFAULT_MAX_LAG);
        int batchSize = orDefault(integer(w, "batchSize", "watch.batchSize"), WatchSettings.DEFAULT_BATCH_SIZE);
        WatchSettings watch = build(() -> new WatchSettings(maxLag, batchSize));

        String ttl = scalar(t, "ttl", "threads.ttl");
        @Nullable Duration threadTtl = ttl == null ? null : ttl("threads.ttl", ttl);
        int cacheMaxThreads = orDefault(integer(k, "maxThreads", "cache.maxThreads"), EngramConfig.DEFAULT_CACHE_MAX_THREADS);

        MemorySettings memory = memory(section(root, "memory", MEMORY_KEYS));

        return build(() -> new EngramConfig(provider, strict, providers, limits, checkpoints, watch, threadTtl, cacheMaxThreads, memory));
    }

    private MemorySettings memory(ObjectNode m) {
        MemorySettings d = MemorySettings.defaults();
        int maxMemories = orDefault(integer(m, "maxMemories", "memory.maxMemories"), d.maxMemories());
        int maxSummaries = orDefault(integer(m, "maxSummaries", "memory.maxSummaries"), d.maxSummaries());
        String ttlText = scalar(m, "ttl", "memory.ttl");
        @Nullable Duration ttl = ttlText == null ? null : ttl("memory.ttl", ttlText);
        boolean refresh = orDefault(bool(m, "refreshTtlOnRead", "memory.refreshTtlOnRead"), false);
        List<String> textFields = strings(m, "textFields", "memory.textFields");
        long maxItemBytes = orDefault(bytes(m, "maxItemBytes", "memory.maxItemBytes"), d.maxItemBytes());

        ObjectNode e = nested(m, "embedding", "memory.embedding", EMBEDDING_KEYS);
        EmbeddingSettings ed = d.embedding();
        boolean embed = orDefault(bool(e, "enabled", "memory.embedding.enabled"), false);
        ModelEndpoint embedAt = endpoint(e, "memory.embedding", ed.endpoint());
        List<String> fields = strings(e, "fields", "memory.embedding.fields");
        double weight = orDefault(typed(e, "lexicalWeight", "memory.embedding.lexicalWeight", Double::parseDouble, "a number from 0 to 1"),
                ed.lexicalWeight());
        EmbeddingSettings embedding = build(() -> new EmbeddingSettings(embed, embedAt, fields, weight));

        ObjectNode x = nested(m, "extraction", "memory.extraction", EXTRACTION_KEYS);
        ExtractionSettings xd = d.extraction();
        boolean extract = orDefault(bool(x, "enabled", "memory.extraction.enabled"), false);
        ModelEndpoint extractAt = endpoint(x, "memory.extraction", xd.endpoint());
        String userKey = orDefault(scalar(x, "userMetadataKey", "memory.extraction.userMetadataKey"), xd.userMetadataKey());
        String namespace = orDefault(scalar(x, "namespace", "memory.extraction.namespace"), xd.namespace());
        int capacity = orDefault(integer(x, "queueCapacity", "memory.extraction.queueCapacity"), xd.queueCapacity());
        int workers = orDefault(integer(x, "workers", "memory.extraction.workers"), xd.workers());
        int turns = orDefault(integer(x, "maxTurnsPerCall", "memory.extraction.maxTurnsPerCall"), xd.maxTurnsPerCall());
        int attempts = orDefault(integer(x, "maxAttempts", "memory.extraction.maxAttempts"), xd.maxAttempts());
        Duration initial = orDefault(duration(x, "initialBackoff", "memory.extraction.initialBackoff"), xd.initialBackoff());
        Duration max = orDefault(duration(x, "maxBackoff", "memory.extraction.maxBackoff"), xd.maxBackoff());
        ExtractionSettings extraction = build(() -> new ExtractionSettings(extract, extractAt, userKey, namespace, capacity, workers,
                turns, attempts, initial, max));

        return build(() -> new MemorySettings(maxMemories, maxSummaries, ttl, refresh, textFields, maxItemBytes, embedding, extraction));
    }

    private ModelEndpoint endpoint(ObjectNode node, String path, ModelEndpoint defaults) {
        String baseUrl = orDefault(scalar(node, "baseUrl", path + ".baseUrl"), defaults.baseUrl());
        String model = orDefault(scalar(node, "model", path + ".model"), defaults.model());
        // an explicit empty apiKeyEnv means "send no key" (a local model server)
        @Nullable String apiKeyEnv = node.has("apiKeyEnv") ? scalar(node, "apiKeyEnv", path + ".apiKeyEnv") : defaults.apiKeyEnv();
        Duration timeout = orDefault(duration(node, "timeout", path + ".timeout"), defaults.timeout());
        return build(() -> {
            try {
                return new ModelEndpoint(baseUrl, model, apiKeyEnv, timeout);
            } catch (ConfigurationException e) {
                throw new ConfigurationException(path + "." + e.getMessage(), e);
            }
        });
    }

    private @Nullable Duration duration(ObjectNode parent, String key, String path) {
        return typed(parent, key, path, Sizes::parseDuration, "a duration such as 500ms, 90s or PT1M");
    }

    /** A list of single values, or one comma-separated value; empty when absent. */
    private List<String> strings(ObjectNode parent, String key, String path) {
        JsonNode node = parent.get(key);
        if (node == null || node.isNull()) {
            return List.of();
        }
        List<String> out = new ArrayList<>();
        if (node.isArray()) {
            for (JsonNode item : node) {
                if (item.isContainerNode() || item.isNull()) {
                    throw fail(path, "expected a list of single values, got a list holding " + kind(item));
                }
                out.add(item.asText().trim());
            }
        } else if (node.isObject()) {
            throw fail(path, "expected a list of single values, got " + kind(node));
        } else {
            for (String part : node.asText().split(",")) {
                if (!part.isBlank()) {
                    out.add(part.trim());
                }
            }
        }
        return out;
    }

    /** A section inside a section (e.g. {@code memory.embedding}), with its full path in messages. */
    private ObjectNode nested(ObjectNode parent, String name, String path, Set<String> known) {
        JsonNode node = parent.get(name);
        if (node == null || node.isNull()) {
            return NODES.objectNode();
        }
        if (!node.isObject()) {
            throw fail(path, "expected a mapping of options, got " + shown(name, node));
        }
        requireKnownKeys((ObjectNode) node, path, known);
        return (ObjectNode) node;
    }

    private static Set<String> union(Set<String> a, Set<String> b) {
        Set<String> out = new java.util.HashSet<>(a);
        out.addAll(b);
        return Set.copyOf(out);
    }

    private Map<String, ProviderOptions> providers(@Nullable JsonNode node) {
        if (node == null || node.isNull()) {
            return Map.of();
        }
        if (!node.isObject()) {
            throw fail("providers", "expected a mapping from provider name to its options, got " + kind(node));
        }
        Map<String, ProviderOptions> result = new TreeMap<>();
        for (Map.Entry<String, JsonNode> section : node.properties()) {
            String name = section.getKey();
            String path = "providers." + name;
            Map<String, String> values = new TreeMap<>();
            if (section.getValue().isObject()) {
                flatten((ObjectNode) section.getValue(), "", path, values);
            } else if (!section.getValue().isNull()) {
                throw fail(path, "expected a mapping of options, got " + shown(name, section.getValue()));
            }
            result.put(name, new ProviderOptions(name, values));
        }
        return result;
    }

    /** Nested keys are joined with '.', a list of single values becomes one comma-separated value, and null is absent. */
    private void flatten(ObjectNode node, String prefix, String path, Map<String, String> out) {
        for (Map.Entry<String, JsonNode> field : node.properties()) {
            String key = prefix.isEmpty() ? field.getKey() : prefix + "." + field.getKey();
            String keyPath = join(path, field.getKey());
            JsonNode value = field.getValue();
            if (value.isObject()) {
                flatten((ObjectNode) value, key, keyPath, out);
                continue;
            }
            String text;
            if (value.isNull()) {
                continue;
            } else if (value.isArray()) {
                List<String> items = new ArrayList<>();
                for (JsonNode item : value) {
                    if (!item.isTextual()) {
                        throw fail(keyPath, "expected a list of single values, got a list holding " + kind(item));
                    }
                    items.add(item.asText());
                }
                text = String.join(",", items);
            } else {
                text = value.asText();
            }
            if (out.putIfAbsent(key, text) != null) {
                throw fail(keyPath, "is set twice (once as a dotted key, once nested)");
            }
        }
    }

    /** The named section as a mapping whose keys are all known; an empty one when it is absent. */
    private ObjectNode section(ObjectNode root, String name, Set<String> known) {
        JsonNode node = root.get(name);
        if (node == null || node.isNull()) {
            return NODES.objectNode();
        }
        if (!node.isObject()) {
            throw fail(name, "expected a mapping of options, got " + shown(name, node));
        }
        requireKnownKeys((ObjectNode) node, name, known);
        return (ObjectNode) node;
    }

    private void requireKnownKeys(ObjectNode node, String path, Set<String> known) {
        for (Map.Entry<String, JsonNode> field : node.properties()) {
            String key = field.getKey();
            if (!known.contains(key)) {
                String where = path.isEmpty() ? "at the top level" : "in " + path;
                throw fail(join(path, key), "unknown key '" + key + "' " + where + "; known keys: " + String.join(", ", new TreeSet<>(known)));
            }
        }
    }

    /** The trimmed text of a single value; null when the key is absent, null or empty. */
    private @Nullable String scalar(ObjectNode parent, String key, String path) {
        JsonNode node = parent.get(key);
        if (node == null || node.isNull()) {
            return null;
        }
        if (node.isContainerNode()) {
            throw fail(path, "expected a single value, got " + kind(node));
        }
        String text = node.asText().trim();
        return text.isEmpty() ? null : text;
    }

    private @Nullable Integer integer(ObjectNode parent, String key, String path) {
        return typed(parent, key, path, s -> Integer.parseInt(s.replace("_", "")), "an integer");
    }

    private @Nullable Long bytes(ObjectNode parent, String key, String path) {
        return typed(parent, key, path, Sizes::parseBytes, "a size such as 65536, 512KiB or 1MiB");
    }

    private @Nullable Boolean bool(ObjectNode parent, String key, String path) {
        return typed(parent, key, path, Option::parseBool, "true or false");
    }

    private <T> @Nullable T typed(ObjectNode parent, String key, String path, Function<String, T> parser, String expected) {
        String raw = scalar(parent, key, path);
        return raw == null ? null : convert(path, key, raw, parser, expected);
    }

    private @Nullable Duration ttl(String path, String raw) {
        if (raw.trim().equalsIgnoreCase(NEVER)) {
            return null;
        }
        return convert(path, path, raw, Sizes::parseDuration, "a duration such as 90s, 12h, 30d or PT36H, or 'never'");
    }

    private <T> T convert(String path, String key, String raw, Function<String, T> parser, String expected) {
        try {
            return parser.apply(raw.trim());
        } catch (RuntimeException e) {
            // no cause attached: the parser's message quotes the value unmasked
            throw fail(path, "expected " + expected + ", got " + shown(key, NODES.textNode(raw)));
        }
    }

    /** Runs a record constructor, naming the source in its validation failure; the values must be read before. */
    private <T> T build(Supplier<T> constructor) {
        try {
            return constructor.get();
        } catch (ConfigurationException e) {
            throw new ConfigurationException(source + ": " + e.getMessage(), e);
        }
    }

    // ---- environment --------------------------------------------------------------------------------------------

    /** Generic provider options first, in name order, so that the named variables win over them. */
    private static EngramConfig applyEnvironment(EngramConfig config, Map<String, String> env) {
        ConfigLoader loader = new ConfigLoader(ENVIRONMENT);
        EngramConfig c = config;
        Map<String, String> generic = new TreeMap<>();
        env.forEach((name, value) -> {
            if (name.startsWith(ENV_PROVIDERS_PREFIX) && !isBlank(value)) {
                generic.put(name, value);
            }
        });
        for (Map.Entry<String, String> e : generic.entrySet()) {
            String[] target = loader.providerOption(e.getKey());
            c = c.withProviderOption(target[0], target[1], e.getValue());
        }
        String v = env.get(ENV_DATA_DIR);
        if (!isBlank(v)) {
            c = c.withProviderOption(EngramConfig.DEFAULT_PROVIDER, "dataDir", v);
        }
        v = env.get(ENV_SYNC);
        if (!isBlank(v)) {
            c = c.withProviderOption(EngramConfig.DEFAULT_PROVIDER, "sync", v.trim());
        }
        v = env.get(ENV_PROVIDER);
        if (!isBlank(v)) {
            c = c.withProvider(v.trim());
        }
        v = env.get(ENV_STRICT);
        if (!isBlank(v)) {
            c = c.withStrict(loader.convert(ENV_STRICT, ENV_STRICT, v, Option::parseBool, "true or false"));
        }
        v = env.get(ENV_THREAD_TTL);
        if (!isBlank(v)) {
            @Nullable Duration ttl = loader.ttl(ENV_THREAD_TTL, v);
            EngramConfig before = c;
            c = loader.build(() -> before.withThreadTtl(ttl));
        }
        return c;
    }

    /**
     * {@code ENGRAM_PROVIDERS_REDIS_KEY_PREFIX} → {@code [redis, keyPrefix]}; {@code __} is a '.' in the option's name:
     * {@code ENGRAM_PROVIDERS_POSTGRES_POOL__MAX_SIZE} → {@code [postgres, pool.maxSize]}.
     */
    private String[] providerOption(String variable) {
        String rest = variable.substring(ENV_PROVIDERS_PREFIX.length());
        int sep = rest.indexOf('_');
        if (sep <= 0 || sep == rest.length() - 1) {
            throw fail(variable, "expected " + ENV_PROVIDERS_PREFIX + "<PROVIDER>_<OPTION>, e.g. ENGRAM_PROVIDERS_REDIS_URL");
        }
        String provider = rest.substring(0, sep).toLowerCase(Locale.ROOT);
        List<String> parts = new ArrayList<>();
        for (String part : rest.substring(sep + 1).split("__", -1)) {
            parts.add(lowerCamel(variable, part));
        }
        return new String[] {provider, String.join(".", parts)};
    }

    private String lowerCamel(String variable, String upperSnake) {
        StringBuilder sb = new StringBuilder();
        for (String word : upperSnake.split("_", -1)) {
            if (word.isEmpty()) {
                throw fail(variable, "has an empty word in its option name; separate words with one '_' and levels with '__'");
            }
            String lower = word.toLowerCase(Locale.ROOT);
            sb.append(sb.length() == 0 ? lower : Character.toUpperCase(lower.charAt(0)) + lower.substring(1));
        }
        return sb.toString();
    }

    // ---- messages -----------------------------------------------------------------------------------------------

    private ConfigurationException fail(String path, String problem) {
        return new ConfigurationException(where(path) + ": " + problem);
    }

    private String where(String path) {
        return path.isEmpty() ? source : source + ": " + path;
    }

    /** A value for an error message: masked when its key looks secret, and never the contents of a mapping or list. */
    private static String shown(String key, JsonNode value) {
        return value.isContainerNode() ? kind(value) : "'" + ProviderOptions.mask(key, value.asText()) + "'";
    }

    private static String kind(JsonNode node) {
        return node.isObject() ? "a mapping" : node.isArray() ? "a list" : node.isNull() ? "null" : "a single value";
    }

    private static String join(String path, String key) {
        return path.isEmpty() ? key : path + "." + key;
    }

    private static String firstLine(String message) {
        int nl = message.indexOf('\n');
        return nl < 0 ? message : message.substring(0, nl);
    }

    private static boolean isBlank(@Nullable String s) {
        return s == null || s.isBlank();
    }

    private static <T> T orDefault(@Nullable T value, T fallback) {
        return value != null ? value : fallback;
    }
}
