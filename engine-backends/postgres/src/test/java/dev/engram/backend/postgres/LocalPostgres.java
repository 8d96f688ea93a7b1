package dev.engram.backend.postgres;

import dev.engram.core.config.EngramConfig;
import dev.engram.core.config.ProviderOptions;
import dev.engram.core.spi.Backend;
import dev.engram.core.spi.BackendContext;
import io.r2dbc.postgresql.PostgresqlConnectionConfiguration;
import io.r2dbc.postgresql.PostgresqlConnectionFactory;
import io.r2dbc.postgresql.api.PostgresqlConnection;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/** The PostgreSQL server every IT uses (the machine's, on 127.0.0.1:5432, database {@code test}), and unique schemas in it. */
final class LocalPostgres {

    static final String HOST = "127.0.0.1";
    static final int PORT = 5432;
    static final String DATABASE = "test";
    static final String URL = "postgresql://postgres@" + HOST + ":" + PORT + "/" + DATABASE;
    static final Duration TIMEOUT = Duration.ofSeconds(30);

    private LocalPostgres() {
    }

    /** Fails (never skips) with how to start the server when it does not answer. */
    static void requireRunning() {
        try {
            sql(HOST, PORT, "SELECT 1");
        } catch (RuntimeException e) {
            throw new AssertionError("PostgreSQL does not answer on " + HOST + ":" + PORT + " (database '" + DATABASE
                    + "', user postgres, trust auth): " + e + ". Start it with .ci/run, or: pg_ctlcluster --skip-systemctl-redirect"
                    + " $(ls /etc/postgresql) main start", e);
        }
    }

    /** A schema name no other test uses. */
    static String newSchema() {
        return "t_" + Long.toString(ThreadLocalRandom.current().nextLong() & Long.MAX_VALUE, 36);
    }

    static EngramConfig config(String schema) {
        return EngramConfig.defaults().withProvider(PostgresProvider.NAME)
                .withProviderOption(PostgresProvider.NAME, "url", URL)
                .withProviderOption(PostgresProvider.NAME, "schema", schema);
    }

    static Backend backend(String schema, Map<String, String> options) {
        return backend(schema, options, Clock.systemUTC());
    }

    static Backend backend(String schema, Map<String, String> options, Clock clock) {
        Map<String, String> all = new HashMap<>(options);
        all.putIfAbsent("url", URL);
        all.put("schema", schema);
        return new PostgresProvider().create(new BackendContext(new ProviderOptions(PostgresProvider.NAME, all), clock));
    }

    static void dropSchema(String schema) {
        sql(HOST, PORT, "DROP SCHEMA IF EXISTS \"" + schema + "\" CASCADE");
    }

    /** Runs {@code sql} on the test database and returns the first column of every row as text. */
    static List<String> sql(String sql) {
        return sql(HOST, PORT, sql);
    }

    /**
     * Runs a script of several statements on one connection of the test database (the simple query protocol, as
     * migrations do) and returns the first column of every row any of them returned, as text.
     */
    static List<String> script(String script) {
        return Mono.usingWhen(connect(HOST, PORT).create(),
                        c -> Flux.from(c.createBatch().add(script).execute())
                                .concatMap(r -> r.map((row, meta) -> String.valueOf(row.get(0))))
                                .collectList(),
                        PostgresqlConnection::close)
                .block(TIMEOUT);
    }

    /** Plain connections to the test database, with the server's default settings. */
    static PostgresqlConnectionFactory factory() {
        return connect(HOST, PORT);
    }

    private static PostgresqlConnectionFactory connect(String host, int port) {
        return new PostgresqlConnectionFactory(PostgresqlConnectionConfiguration.builder()
                .host(host).port(port).database(DATABASE).username("postgres").connectTimeout(Duration.ofSeconds(5)).build());
    }

    static List<String> sql(String host, int port, String sql) {
        return Mono.usingWhen(connect(host, port).create(),
                        c -> Flux.from(c.createStatement(sql).execute())
                                .concatMap(r -> r.map((row, meta) -> String.valueOf(row.get(0))))
                                .collectList(),
                        PostgresqlConnection::close)
                .block(TIMEOUT);
    }
}
