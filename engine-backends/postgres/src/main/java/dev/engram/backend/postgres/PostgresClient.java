package dev.engram.backend.postgres;

import io.r2dbc.pool.ConnectionPool;
import io.r2dbc.pool.ConnectionPoolConfiguration;
import io.r2dbc.postgresql.PostgresqlConnectionConfiguration;
import io.r2dbc.postgresql.PostgresqlConnectionFactory;
import io.r2dbc.postgresql.client.SSLMode;
import io.r2dbc.spi.Connection;
import io.r2dbc.spi.Row;
import io.r2dbc.spi.Statement;
import io.r2dbc.spi.ValidationDepth;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;

/**
 * Runs statements on pooled connections once the schema is migrated. Each statement is bounded by the operation
 * timeout; results are collected before the connection goes back, so a slow consumer never holds one.
 */
final class PostgresClient {

    private static final Logger LOG = LoggerFactory.getLogger(PostgresClient.class);

    private final PostgresSettings settings;
    private final PostgresqlConnectionFactory factory;
    private final ConnectionPool pool;
    private final PostgresMigrations migrations;
    private final AtomicReference<@Nullable Mono<Void>> ready = new AtomicReference<>();
    /** Pooled connections handed out and not yet back in the pool: {@link #close} waits for them. */
    private final AtomicInteger held = new AtomicInteger();
    private final Sinks.Empty<Void> allBack = Sinks.empty();
    private volatile boolean closing;

    private PostgresClient(PostgresSettings settings, PostgresqlConnectionFactory factory, ConnectionPool pool) {
        this.settings = settings;
        this.factory = factory;
        this.pool = pool;
        this.migrations = new PostgresMigrations(settings);
    }

    static PostgresClient create(PostgresSettings settings) {
        PostgresqlConnectionConfiguration.Builder config = PostgresqlConnectionConfiguration.builder()
                .host(settings.host())
                .port(settings.port())
                .database(settings.database())
                .username(settings.username())
                .applicationName("engram")
                .connectTimeout(settings.connectTimeout())
                .statementTimeout(settings.statementTimeout())
                .tcpKeepAlive(true)
                .autodetectExtensions(false)
                // every statement reads by a key; without this, a plan cached while a table was small scans all of it
                // (a mutable map: the driver adds statement_timeout to it)
                .options(new HashMap<>(Map.of("enable_seqscan", "off")))
                .sslMode(switch (settings.ssl()) {
                    case DISABLE -> SSLMode.DISABLE;
                    case REQUIRE -> SSLMode.REQUIRE;
                    case VERIFY_FULL -> SSLMode.VERIFY_FULL;
                });
        if (settings.password() != null) {
            config.password(settings.password());
        }
        if (settings.sslRootCert() != null) {
            config.sslRootCert(settings.sslRootCert());
        }
        PostgresqlConnectionFactory factory = new PostgresqlConnectionFactory(config.build());
        ConnectionPool pool = new ConnectionPool(ConnectionPoolConfiguration.builder(factory)
                .name("engram-" + settings.schema())
                .initialSize(settings.poolInitialSize())
                .maxSize(settings.poolMaxSize())
                .maxAcquireTime(settings.connectTimeout())
                .maxCreateConnectionTime(settings.connectTimeout())
                .maxValidationTime(settings.connectTimeout())
                // LOCAL: a connection whose socket the server closed (restart, crash) is dropped at acquire, at no round trip
                .validationDepth(ValidationDepth.LOCAL)
                .maxIdleTime(Duration.ofMinutes(10))
                .backgroundEvictionInterval(Duration.ofSeconds(30))
                .acquireRetry(1)
                .build());
        return new PostgresClient(settings, factory, pool);
    }

    PostgresSettings settings() {
        return settings;
    }

    /** Opens a connection outside the pool (for the change feed's LISTEN). */
    PostgresqlConnectionFactory unpooled() {
        return factory;
    }

    /** Completes once the schema is migrated; migrates on first call, and again after a failed attempt. */
    Mono<Void> ready() {
        return Mono.defer(() -> {
            Mono<Void> current = ready.get();
            if (current != null) {
                return current;
            }
            AtomicReference<Mono<Void>> self = new AtomicReference<>();
            Mono<Void> attempt = migrations.apply(factory)
                    .doOnSuccess(v -> ready.set(Mono.empty()))
                    .doOnError(e -> {
                        ready.compareAndSet(self.get(), null);
                        LOG.warn("Cannot migrate schema {} yet: {}", settings.schema(), e.toString());
                    })
                    .cache();
            self.set(attempt);
            return ready.compareAndSet(null, attempt) ? attempt : Mono.defer(this::ready);
        });
    }

    /** Runs one statement and collects its rows; driver errors are left untranslated. */
    <T> Mono<List<T>> rows(String sql, Function<Row, T> mapper, Object... params) {
        return ready().then(onConnection(c -> Flux.from(bind(c, sql, params).execute())
                        .concatMap(result -> result.map((row, meta) -> mapper.apply(row)))
                        .collectList()))
                .timeout(settings.operationTimeout());
    }

    /** Runs one statement and emits the number of rows it changed; driver errors are left untranslated. */
    Mono<Long> changed(String sql, Object... params) {
        return ready().then(onConnection(c -> Flux.from(bind(c, sql, params).execute())
                        .concatMap(result -> result.getRowsUpdated())
                        .reduce(0L, Long::sum)))
                .timeout(settings.operationTimeout());
    }

    /** Like {@link #rows}, with errors translated for {@code what}. */
    <T> Mono<List<T>> query(String what, String sql, Function<Row, T> mapper, Object... params) {
        return rows(sql, mapper, params).onErrorMap(t -> PostgresErrors.translate(t, what));
    }

    /** Like {@link #changed}, with errors translated for {@code what}. */
    Mono<Long> update(String what, String sql, Object... params) {
        return changed(sql, params).onErrorMap(t -> PostgresErrors.translate(t, what));
    }

    Mono<Void> ping() {
        return query("answering a ping", "SELECT 1", row -> 1).then();
    }

    /**
     * Runs {@code work} on a pooled connection and gives the connection back whatever happens, counted in {@link #held}
     * until the pool has it again. A statement cancelled by a timeout or by a closing engine gives its connection back
     * after the cancel; disposing the pool during that release can count it twice in the pool (the pool then fails its
     * dispose with "Too many permits returned"), so {@link #close} waits for it.
     */
    private <T> Mono<T> onConnection(Function<Connection, Mono<T>> work) {
        return Mono.usingWhen(pool.create().doOnNext(c -> held.incrementAndGet()), work, this::giveBack, (c, e) -> giveBack(c),
                this::giveBack);
    }

    private Mono<Void> giveBack(Connection c) {
        return Mono.from(c.close()).doFinally(s -> {
            if (held.decrementAndGet() == 0 && closing) {
                allBack.tryEmitEmpty();
            }
        });
    }

    /** Disposes the pool once every connection handed out is back (at most the operation timeout later). */
    Mono<Void> close() {
        return Mono.defer(() -> {
            closing = true;
            Mono<Void> back = held.get() == 0 ? Mono.empty() : allBack.asMono().timeout(settings.operationTimeout(), Mono.empty());
            return back.then(pool.disposeLater());
        });
    }

    private static Statement bind(Connection c, String sql, Object[] params) {
        Statement statement = c.createStatement(sql);
        for (int i = 0; i < params.length; i++) {
            statement.bind(i, params[i]);
        }
        return statement;
    }
}
