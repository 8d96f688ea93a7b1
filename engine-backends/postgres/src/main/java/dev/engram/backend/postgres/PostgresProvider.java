package dev.engram.backend.postgres;

import dev.engram.core.config.Option;
import dev.engram.core.spi.Backend;
import dev.engram.core.spi.BackendContext;
import dev.engram.core.spi.BackendProvider;
import java.time.Duration;
import java.util.List;

/** Provides the {@code postgres} backend. Connections open on first use; invalid options fail {@link #create}. */
public final class PostgresProvider implements BackendProvider {

    public static final String NAME = "postgres";

    /** {@code postgresql://user[:password]@host[:port]/database[?sslmode=...]}, optionally prefixed with {@code r2dbc:}. */
    public static final Option<String> URL = Option.string("url", "postgresql://postgres@127.0.0.1:5432/postgres");
    /** The schema holding every table; two deployments with different schemas never see each other's data. */
    public static final Option<String> SCHEMA = Option.string("schema", "engram");
    /** Overrides the URL's user. */
    public static final Option<String> USERNAME = Option.string("username", "");
    /** Overrides the URL's password. */
    public static final Option<String> PASSWORD = Option.string("password", "").sensitive();
    public static final Option<Integer> POOL_INITIAL_SIZE = Option.integer("poolInitialSize", 2);
    public static final Option<Integer> POOL_MAX_SIZE = Option.integer("poolMaxSize", 10);
    public static final Option<Duration> CONNECT_TIMEOUT = Option.duration("connectTimeout", Duration.ofSeconds(10));
    /** The server cancels a statement running longer; the client gives up a little later. */
    public static final Option<Duration> STATEMENT_TIMEOUT = Option.duration("statementTimeout", Duration.ofSeconds(30));
    /** {@code disable}, {@code require} or {@code verify-full}; overrides the URL's {@code sslmode}. */
    public static final Option<String> SSL = Option.string("ssl", "");
    /** A PEM file of the CA certificates trusted with {@code verify-full} (default: the JVM's trust store). */
    public static final Option<String> SSL_ROOT_CERT = Option.string("sslRootCert", "");
    /** How often expired threads and memory items are removed (0 turns the sweeper off; expired data is invisible either way). */
    public static final Option<Duration> SWEEP_INTERVAL = Option.duration("sweepInterval", Duration.ofMinutes(1));
    public static final Option<Integer> SWEEP_BATCH_SIZE = Option.integer("sweepBatchSize", 1000);
    /** The most concurrent appends sent in one call. */
    public static final Option<Integer> APPEND_BATCH_SIZE = Option.integer("appendBatchSize", 64);

    static final List<Option<?>> OPTIONS = List.of(URL, SCHEMA, USERNAME, PASSWORD, POOL_INITIAL_SIZE, POOL_MAX_SIZE,
            CONNECT_TIMEOUT, STATEMENT_TIMEOUT, SSL, SSL_ROOT_CERT, SWEEP_INTERVAL, SWEEP_BATCH_SIZE, APPEND_BATCH_SIZE);

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public Backend create(BackendContext context) {
        return PostgresBackend.create(PostgresSettings.from(context.options()), context.clock());
    }
}
