package dev.engram.backend.redis;

import dev.engram.core.ConfigurationException;
import dev.engram.core.config.Option;
import dev.engram.core.config.ProviderOptions;
import io.lettuce.core.RedisURI;
import io.lettuce.core.SslVerifyMode;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/** The options of the {@code redis} provider (its section of {@code engram.yaml}). */
public final class RedisOptions {

    /** {@code redis://[user:password@]host:port[/db]}, {@code rediss://} for TLS; with {@link #CLUSTER}, seed nodes joined by commas. */
    public static final Option<String> URL = Option.string("url", "redis://127.0.0.1:6379");
    /** Connect to a Redis Cluster through the url's hosts as seed nodes. */
    public static final Option<Boolean> CLUSTER = Option.bool("cluster", false);
    /** The logical database (standalone only); overrides the url's path. */
    public static final Option<Integer> DB_INDEX = Option.integer("dbIndex", null);
    /** Starts every key, so that deployments sharing one server never see each other's data. */
    public static final Option<String> KEY_PREFIX = Option.string("keyPrefix", "engram");
    /** ACL user; overrides the url's. */
    public static final Option<String> USERNAME = Option.string("username", null);
    /** Overrides the url's password. */
    public static final Option<String> PASSWORD = Option.string("password", null).sensitive();
    /** TLS on or off; by default on exactly for {@code rediss://} urls. */
    public static final Option<Boolean> TLS = Option.bool("tls", null);
    /** Verify the server's certificate and host name when TLS is on. */
    public static final Option<Boolean> TLS_VERIFY = Option.bool("tlsVerify", true);
    /** How long a command may take before it fails with BackendUnavailableException (its outcome unknown). */
    public static final Option<Duration> COMMAND_TIMEOUT = Option.duration("commandTimeout", Duration.ofSeconds(10));
    /** How long opening a connection may take. */
    public static final Option<Duration> CONNECT_TIMEOUT = Option.duration("connectTimeout", Duration.ofSeconds(5));

    private static final List<Option<?>> ALL = List.of(URL, CLUSTER, DB_INDEX, KEY_PREFIX, USERNAME, PASSWORD, TLS, TLS_VERIFY,
            COMMAND_TIMEOUT, CONNECT_TIMEOUT);
    private static final Pattern HOST_PORT = Pattern.compile("(\\[[0-9A-Fa-f:.]+]|[^:\\[\\]]+)(:[0-9]{1,5})?");
    private static final Pattern PREFIX = Pattern.compile("[A-Za-z0-9._:@|/-]{1,128}");

    private RedisOptions() {
    }

    /** The checked settings, or {@link ConfigurationException} naming the option that is wrong. */
    static RedisSettings parse(ProviderOptions options) {
        String section = options.section();
        Set<String> known = new TreeSet<>();
        ALL.forEach(o -> known.add(o.name()));
        for (String name : options.asMap().keySet()) {
            if (!known.contains(name)) {
                throw new ConfigurationException(section + "." + name + " is not an option of the redis provider; known: "
                        + String.join(", ", known));
            }
        }
        String prefix = options.get(KEY_PREFIX);
        if (!PREFIX.matcher(prefix).matches()) {
            throw new ConfigurationException(section + "." + KEY_PREFIX.name() + " must be 1..128 characters of"
                    + " [A-Za-z0-9._:@|/-] (no braces: they would change the keys' hash slots), got '" + prefix + "'");
        }
        Duration commandTimeout = positive(options, COMMAND_TIMEOUT);
        Duration connectTimeout = positive(options, CONNECT_TIMEOUT);
        boolean cluster = options.get(CLUSTER);
        ParsedUrl parsed = parseUrl(section, options.get(URL));
        if (parsed.uris().size() > 1 && !cluster) {
            throw new ConfigurationException(section + "." + URL.name() + " names several hosts; set cluster: true to use them"
                    + " as Redis Cluster seed nodes");
        }
        Integer db = options.find(DB_INDEX).orElse(null);
        if (db != null && db < 0) {
            throw new ConfigurationException(section + "." + DB_INDEX.name() + " must be 0 or more, got " + db);
        }
        String user = options.find(USERNAME).orElse(parsed.user());
        String password = options.find(PASSWORD).orElse(parsed.password());
        if (user != null && password == null) {
            throw new ConfigurationException(section + "." + USERNAME.name() + " needs a password");
        }
        for (RedisURI uri : parsed.uris()) {
            if (db != null) {
                uri.setDatabase(db);
            }
            if (cluster && uri.getDatabase() != 0) {
                throw new ConfigurationException(section + ": Redis Cluster has only database 0, got " + uri.getDatabase());
            }
            if (password != null) {
                if (user != null) {
                    uri.setAuthentication(user, password);
                } else {
                    uri.setAuthentication(password);
                }
            }
            boolean tls = options.find(TLS).orElse(uri.isSsl());
            uri.setSsl(tls);
            uri.setVerifyPeer(tls && options.get(TLS_VERIFY) ? SslVerifyMode.FULL : SslVerifyMode.NONE);
            uri.setTimeout(commandTimeout);
        }
        return new RedisSettings(List.copyOf(parsed.uris()), cluster, prefix, commandTimeout, connectTimeout);
    }

    private static Duration positive(ProviderOptions options, Option<Duration> option) {
        Duration d = options.get(option);
        if (d.isNegative() || d.isZero()) {
            throw new ConfigurationException(options.section() + "." + option.name() + " must be positive, got " + d);
        }
        return d;
    }

    /** The url's hosts (several, comma-separated, are Cluster seed nodes) and its credentials, kept apart. */
    private record ParsedUrl(List<RedisURI> uris, @Nullable String user, @Nullable String password) {
    }

    private static ParsedUrl parseUrl(String section, String url) {
        String shown = ProviderOptions.mask(URL.name(), url);
        int schemeEnd = url.indexOf("://");
        String scheme = schemeEnd < 0 ? "" : url.substring(0, schemeEnd);
        if (!scheme.equals("redis") && !scheme.equals("rediss")) {
            throw new ConfigurationException(section + "." + URL.name() + " must start with redis:// or rediss://, got '" + shown + "'");
        }
        String rest = url.substring(schemeEnd + 3);
        int at = rest.lastIndexOf('@');
        String userInfo = at < 0 ? "" : rest.substring(0, at);
        int colon = userInfo.indexOf(':');
        String user = colon < 0 ? userInfo : userInfo.substring(0, colon);
        String password = colon < 0 ? null : userInfo.substring(colon + 1);
        String afterUser = rest.substring(at + 1);
        int end = afterUser.length();
        for (char c : new char[] {'/', '?', '#'}) {
            int i = afterUser.indexOf(c);
            if (i >= 0 && i < end) {
                end = i;
            }
        }
        String hosts = afterUser.substring(0, end);
        String tail = afterUser.substring(end);
        List<RedisURI> uris = new ArrayList<>();
        for (String host : hosts.split(",", -1)) {
            if (!HOST_PORT.matcher(host.trim()).matches()) {
                throw new ConfigurationException(section + "." + URL.name() + " needs host or host:port for every node: '" + shown + "'");
            }
            try {
                uris.add(RedisURI.create(scheme + "://" + host.trim() + tail));
            } catch (RuntimeException e) {
                throw new ConfigurationException(section + "." + URL.name() + " is not a valid Redis url: '" + shown + "'");
            }
        }
        try {
            return new ParsedUrl(uris, user.isEmpty() ? null : decode(user),
                    password == null || password.isEmpty() ? null : decode(password));
        } catch (IllegalArgumentException e) {
            throw new ConfigurationException(section + "." + URL.name() + " has a badly escaped user or password: '" + shown + "'");
        }
    }

    private static String decode(String s) {
        return URLDecoder.decode(s.replace("+", "%2B"), StandardCharsets.UTF_8);
    }
}
