package dev.engram.backend.postgres;

import io.r2dbc.postgresql.PostgresqlConnectionFactory;
import io.r2dbc.postgresql.api.PostgresqlConnection;
import io.r2dbc.spi.Result;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Creates the schema and brings it to the latest version. All of it runs in one transaction under an advisory lock
 * keyed by the schema name, so servers starting together apply each migration once and never see a half-made schema.
 * Applied versions are recorded in {@code engram_migrations}.
 */
final class PostgresMigrations {

    /** One versioned script under {@code db/postgres/}; {@code ${schema}} and {@code ${channel}} are filled in. */
    record Migration(int version, String description, String resource) {
    }

    static final List<Migration> ALL = List.of(
            new Migration(1, "threads, events and checkpoints tables", "V1__tables.sql"),
            new Migration(2, "append, delete and sweep functions", "V2__functions.sql"),
            new Migration(3, "memories table", "V3__memories.sql"),
            new Migration(4, "functions that read and delete by key only", "V4__keyed_functions.sql"));

    private static final Logger LOG = LoggerFactory.getLogger(PostgresMigrations.class);
    // first half of the advisory lock key: "ENGR"; the second half is the schema name's hash
    private static final int LOCK_CLASS = 0x454E4752;

    private final PostgresSettings settings;

    PostgresMigrations(PostgresSettings settings) {
        this.settings = settings;
    }

    Mono<Void> apply(PostgresqlConnectionFactory factory) {
        // a connection of its own: closing it rolls back whatever a failure left open
        return Mono.usingWhen(factory.create(), this::migrate, PostgresqlConnection::close);
    }

    private Mono<Void> migrate(PostgresqlConnection c) {
        String s = settings.quotedSchema();
        return Mono.from(c.beginTransaction())
                .then(run(c.createStatement("SELECT pg_advisory_xact_lock(" + LOCK_CLASS + ", hashtext($1))").bind(0, settings.schema()).execute()))
                .then(Flux.from(c.createStatement("SELECT 1 FROM pg_namespace WHERE nspname = $1").bind(0, settings.schema()).execute())
                        .concatMap(r -> r.map((row, meta) -> 1)).hasElements())
                .flatMap(exists -> exists ? Mono.empty() : run(c.createStatement("CREATE SCHEMA " + s).execute()))
                .then(run(c.createStatement("CREATE TABLE IF NOT EXISTS " + s + ".engram_migrations (version int PRIMARY KEY,"
                        + " description text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())").execute()))
                .then(Flux.from(c.createStatement("SELECT version FROM " + s + ".engram_migrations").execute())
                        .concatMap(r -> r.map((row, meta) -> row.get(0, Integer.class)))
                        .collect(HashSet<Integer>::new, Set::add))
                .flatMap(applied -> {
                    int newest = ALL.get(ALL.size() - 1).version();
                    applied.stream().filter(v -> v > newest).max(Integer::compare).ifPresent(v -> LOG.warn(
                            "Schema {} is at version {}, newer than this Engram knows ({}); continuing", settings.schema(), v, newest));
                    return Flux.fromIterable(ALL)
                            .filter(m -> !applied.contains(m.version()))
                            .concatMap(m -> applyOne(c, m))
                            .then();
                })
                .then(Mono.from(c.commitTransaction()));
    }

    private Mono<Void> applyOne(PostgresqlConnection c, Migration m) {
        String script = script(m.resource())
                .replace("${schema}", settings.quotedSchema())
                .replace("${channel}", "'" + settings.channel() + "'");
        // a batch goes through the simple query protocol, which runs a script of several statements
        return run(c.createBatch().add(script).execute())
                .then(run(c.createStatement("INSERT INTO " + settings.quotedSchema() + ".engram_migrations (version, description)"
                        + " VALUES ($1, $2)").bind(0, m.version()).bind(1, m.description()).execute()))
                .doOnSuccess(v -> LOG.info("Applied migration V{} ({}) to schema {}", m.version(), m.description(), settings.schema()));
    }

    private static Mono<Void> run(org.reactivestreams.Publisher<? extends Result> results) {
        return Flux.from(results).concatMap(Result::getRowsUpdated).then();
    }

    static String script(String resource) {
        try (InputStream in = PostgresMigrations.class.getResourceAsStream("/db/postgres/" + resource)) {
            if (in == null) {
                throw new IllegalStateException("missing migration resource db/postgres/" + resource);
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
