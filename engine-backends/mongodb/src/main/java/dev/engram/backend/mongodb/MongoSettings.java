package dev.engram.backend.mongodb;

import com.mongodb.ConnectionString;
import com.mongodb.MongoClientSettings;
import com.mongodb.MongoCredential;
import dev.engram.core.ConfigurationException;
import dev.engram.core.config.Option;
import dev.engram.core.config.ProviderOptions;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

/** The provider's options, read and checked once at {@code create()}. */
record MongoSettings(String url, String database, String collectionPrefix, Optional<String> username,
                     Optional<String> password, String authSource, Duration connectTimeout,
                     Duration serverSelectionTimeout, Duration commandTimeout, int maxPoolSize, Optional<Boolean> tls,
                     boolean tlsVerifyHostname, Duration pollInterval, ChangeFeedMode changeFeed, Duration ttlGrace) {

    /** How heads of other processes' appends are learned. */
    enum ChangeFeedMode {
        /** Change streams when the server supports them (replica sets, sharded clusters), else polling. */
        AUTO,
        /** Always poll the records of watched threads. */
        POLL
    }

    static final Option<String> URL = Option.string("url", "mongodb://127.0.0.1:27017");
    static final Option<String> DATABASE = Option.string("database", "engram");
    static final Option<String> COLLECTION_PREFIX = Option.string("collectionPrefix", "engram_");
    static final Option<String> USERNAME = Option.string("username", null);
    static final Option<String> PASSWORD = Option.string("password", null).sensitive();
    static final Option<String> AUTH_SOURCE = Option.string("authSource", "admin");
    static final Option<Duration> CONNECT_TIMEOUT = Option.duration("connectTimeout", Duration.ofSeconds(10));
    static final Option<Duration> SERVER_SELECTION_TIMEOUT = Option.duration("serverSelectionTimeout", Duration.ofSeconds(5));
    static final Option<Duration> COMMAND_TIMEOUT = Option.duration("commandTimeout", Duration.ofSeconds(10));
    static final Option<Integer> MAX_POOL_SIZE = Option.integer("maxPoolSize", 50);
    static final Option<Boolean> TLS = Option.bool("tls", null);
    static final Option<Boolean> TLS_VERIFY_HOSTNAME = Option.bool("tlsVerifyHostname", true);
    static final Option<Duration> POLL_INTERVAL = Option.duration("pollInterval", Duration.ofMillis(100));
    static final Option<ChangeFeedMode> CHANGE_FEED = Option.enumOf("changeFeed", ChangeFeedMode.class, ChangeFeedMode.AUTO);
    static final Option<Duration> TTL_GRACE = Option.duration("ttlGrace", Duration.ofHours(1));

    // MongoDB's own rules for names, plus '.' at the database level
    private static final Pattern DATABASE_NAME = Pattern.compile("[^/\\\\. \"$*<>:|?\\x00]{1,63}");
    private static final Pattern PREFIX = Pattern.compile("[A-Za-z0-9_.-]{0,64}");

    static MongoSettings from(ProviderOptions options) {
        String url = options.get(URL).trim();
        if (!url.startsWith("mongodb://") && !url.startsWith("mongodb+srv://")) {
            throw new ConfigurationException(options.section() + ".url must start with mongodb:// or mongodb+srv://, got '"
                    + ProviderOptions.mask("url", url) + "'");
        }
        try {
            new ConnectionString(url);
        } catch (IllegalArgumentException e) {
            throw new ConfigurationException(options.section() + ".url is not a valid MongoDB connection string: '"
                    + ProviderOptions.mask("url", url) + "'");
        }
        String database = options.get(DATABASE);
        if (!DATABASE_NAME.matcher(database).matches()) {
            throw new ConfigurationException(options.section() + ".database '" + database + "' is not a valid MongoDB database name");
        }
        String prefix = options.find(COLLECTION_PREFIX).orElse(COLLECTION_PREFIX.defaultValue());
        if (!PREFIX.matcher(prefix).matches() || prefix.startsWith("system.")) {
            throw new ConfigurationException(options.section() + ".collectionPrefix '" + prefix
                    + "' must be up to 64 characters of [A-Za-z0-9_.-] and not start with 'system.'");
        }
        Optional<String> username = options.find(USERNAME);
        Optional<String> password = options.find(PASSWORD);
        if (password.isPresent() && username.isEmpty()) {
            throw new ConfigurationException(options.section() + ".password is set without a username");
        }
        int pool = options.get(MAX_POOL_SIZE);
        if (pool < 1) {
            throw new ConfigurationException(options.section() + ".maxPoolSize must be at least 1, got " + pool);
        }
        MongoSettings settings = new MongoSettings(url, database, prefix, username, password, options.get(AUTH_SOURCE),
                positive(options, CONNECT_TIMEOUT), positive(options, SERVER_SELECTION_TIMEOUT),
                positive(options, COMMAND_TIMEOUT), pool, options.find(TLS), options.get(TLS_VERIFY_HOSTNAME),
                positive(options, POLL_INTERVAL), options.get(CHANGE_FEED), options.get(TTL_GRACE));
        if (settings.ttlGrace.isNegative()) {
            throw new ConfigurationException(options.section() + ".ttlGrace must not be negative");
        }
        return settings;
    }

    private static Duration positive(ProviderOptions options, Option<Duration> option) {
        Duration d = options.get(option);
        if (d.isNegative() || d.isZero()) {
            throw new ConfigurationException(options.section() + "." + option.name() + " must be positive, got " + d);
        }
        return d;
    }

    MongoClientSettings clientSettings() {
        MongoClientSettings.Builder b = MongoClientSettings.builder()
                .applyConnectionString(new ConnectionString(url))
                .applicationName("engram")
                .applyToSocketSettings(s -> s.connectTimeout((int) connectTimeout.toMillis(), TimeUnit.MILLISECONDS))
                .applyToClusterSettings(c -> c.serverSelectionTimeout(serverSelectionTimeout.toMillis(), TimeUnit.MILLISECONDS))
                .applyToConnectionPoolSettings(p -> p.maxSize(maxPoolSize)
                        .maxWaitTime(commandTimeout.toMillis(), TimeUnit.MILLISECONDS));
        tls.ifPresent(on -> b.applyToSslSettings(s -> s.enabled(on)));
        if (!tlsVerifyHostname) {
            b.applyToSslSettings(s -> s.invalidHostNameAllowed(true));
        }
        username.ifPresent(user -> b.credential(MongoCredential.createCredential(user, authSource,
                password.orElse("").toCharArray())));
        return b.build();
    }
}
