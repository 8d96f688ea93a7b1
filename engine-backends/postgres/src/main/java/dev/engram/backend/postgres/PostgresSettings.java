package dev.engram.backend.postgres;

import dev.engram.core.ConfigurationException;
import dev.engram.core.config.Option;
import dev.engram.core.config.ProviderOptions;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.jspecify.annotations.Nullable;

/** The checked options of one {@code postgres} backend. {@link #toString()} never shows the password. */
record PostgresSettings(String host, int port, String database, String username, @Nullable String password, String schema,
                        int poolInitialSize, int poolMaxSize, Duration connectTimeout, Duration statementTimeout, Ssl ssl,
                        @Nullable String sslRootCert, Duration sweepInterval, int sweepBatchSize, int appendBatchSize) {

    enum Ssl { DISABLE, REQUIRE, VERIFY_FULL }

    // lower case only, so the name needs no quoting rules to be remembered; 48 leaves room for the channel prefix
    private static final Pattern SCHEMA_NAME = Pattern.compile("[a-z_][a-z0-9_]{0,47}");
    private static final Pattern URL = Pattern.compile(
            "(?:r2dbc:)?postgres(?:ql)?://(?:([^:@/?#]*)(?::([^@/?#]*))?@)?(\\[[0-9A-Fa-f:.]+]|[^:/?#@\\[\\]]+)(?::(\\d{1,5}))?"
                    + "(?:/([^?#]*))?(?:\\?([^#]*))?");
    private static final int DEFAULT_PORT = 5432;

    static PostgresSettings from(ProviderOptions options) {
        Set<String> known = PostgresProvider.OPTIONS.stream().map(Option::name).collect(Collectors.toSet());
        TreeSet<String> unknown = new TreeSet<>(options.asMap().keySet());
        unknown.removeAll(known);
        if (!unknown.isEmpty()) {
            throw new ConfigurationException(options.section() + ": unknown option(s) " + unknown + "; known: "
                    + new TreeSet<>(known));
        }
        String section = options.section();
        String url = options.get(PostgresProvider.URL).trim();
        Matcher m = URL.matcher(url);
        if (!m.matches()) {
            throw new ConfigurationException(section + ".url: expected postgresql://user@host:port/database, got '"
                    + ProviderOptions.mask("url", url) + "'");
        }
        String urlUser = m.group(1) == null ? "" : decode(m.group(1), section);
        String urlPassword = m.group(2) == null ? null : decode(m.group(2), section);
        String host = m.group(3).startsWith("[") ? m.group(3).substring(1, m.group(3).length() - 1) : m.group(3);
        int port = m.group(4) == null ? DEFAULT_PORT : Integer.parseInt(m.group(4));
        if (port < 1 || port > 65535) {
            throw new ConfigurationException(section + ".url: port " + port + " is out of range");
        }
        String database = m.group(5) == null || m.group(5).isEmpty() ? "postgres" : decode(m.group(5), section);
        Ssl ssl = Ssl.DISABLE;
        if (m.group(6) != null && !m.group(6).isEmpty()) {
            for (String param : m.group(6).split("&")) {
                int eq = param.indexOf('=');
                String name = eq < 0 ? param : param.substring(0, eq);
                if (!name.equals("sslmode")) {
                    throw new ConfigurationException(section + ".url: unknown parameter '" + name + "' (only sslmode is read)");
                }
                ssl = ssl(eq < 0 ? "" : param.substring(eq + 1), section + ".url sslmode");
            }
        }
        String sslOption = options.get(PostgresProvider.SSL);
        if (!sslOption.isBlank()) {
            ssl = ssl(sslOption, section + "." + PostgresProvider.SSL.name());
        }
        String username = options.get(PostgresProvider.USERNAME);
        if (username.isBlank()) {
            username = urlUser.isEmpty() ? "postgres" : urlUser;
        }
        String password = options.get(PostgresProvider.PASSWORD);
        String schema = options.get(PostgresProvider.SCHEMA);
        if (!SCHEMA_NAME.matcher(schema).matches()) {
            throw new ConfigurationException(section + ".schema: '" + schema
                    + "' is not a plain identifier (1..48 of a-z, 0-9, _; not starting with a digit)");
        }
        if (schema.startsWith("pg_")) {
            throw new ConfigurationException(section + ".schema: names starting with pg_ are reserved by PostgreSQL");
        }
        int initial = atLeast(options, PostgresProvider.POOL_INITIAL_SIZE, 0);
        int max = atLeast(options, PostgresProvider.POOL_MAX_SIZE, 1);
        if (initial > max) {
            throw new ConfigurationException(section + ".poolInitialSize (" + initial + ") is larger than poolMaxSize (" + max + ")");
        }
        String rootCert = options.get(PostgresProvider.SSL_ROOT_CERT);
        return new PostgresSettings(host, port, database, username, password.isEmpty() ? urlPassword : password, schema,
                initial, max, positive(options, PostgresProvider.CONNECT_TIMEOUT), positive(options, PostgresProvider.STATEMENT_TIMEOUT),
                ssl, rootCert.isBlank() ? null : rootCert, notNegative(options, PostgresProvider.SWEEP_INTERVAL),
                atLeast(options, PostgresProvider.SWEEP_BATCH_SIZE, 1), atLeast(options, PostgresProvider.APPEND_BATCH_SIZE, 1));
    }

    /** The LISTEN/NOTIFY channel of this schema. */
    String channel() {
        return "engram_" + schema;
    }

    /** The schema as it is written in SQL. */
    String quotedSchema() {
        return '"' + schema + '"';
    }

    /** How long a client waits for one operation: a connection, then the statement, then a margin. */
    Duration operationTimeout() {
        return connectTimeout.plus(statementTimeout).plusSeconds(1);
    }

    private static Ssl ssl(String raw, String where) {
        return switch (raw.trim().toLowerCase(Locale.ROOT)) {
            case "disable" -> Ssl.DISABLE;
            case "require" -> Ssl.REQUIRE;
            case "verify-full" -> Ssl.VERIFY_FULL;
            default -> throw new ConfigurationException(where + ": expected disable, require or verify-full, got '" + raw + "'");
        };
    }

    private static String decode(String s, String section) {
        try {
            return URLDecoder.decode(s.replace("+", "%2B"), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            throw new ConfigurationException(section + ".url: invalid %-escape");
        }
    }

    private static int atLeast(ProviderOptions options, Option<Integer> option, int min) {
        int value = options.get(option);
        if (value < min) {
            throw new ConfigurationException(options.section() + "." + option.name() + " must be " + min + " or more, got " + value);
        }
        return value;
    }

    private static Duration positive(ProviderOptions options, Option<Duration> option) {
        Duration value = options.get(option);
        if (value.isNegative() || value.isZero()) {
            throw new ConfigurationException(options.section() + "." + option.name() + " must be positive, got " + value);
        }
        return value;
    }

    private static Duration notNegative(ProviderOptions options, Option<Duration> option) {
        Duration value = options.get(option);
        if (value.isNegative()) {
            throw new ConfigurationException(options.section() + "." + option.name() + " must not be negative, got " + value);
        }
        return value;
    }

    @Override
    public String toString() {
        return "PostgresSettings[" + username + (password == null ? "" : ":****") + "@" + host + ":" + port + "/" + database
                + ", schema " + schema + ", pool " + poolInitialSize + ".." + poolMaxSize + ", ssl " + ssl + "]";
    }
}
