package dev.engram.benchmarks.backends;

import dev.engram.core.Engram;
import dev.engram.core.model.Change;
import io.r2dbc.pool.ConnectionPool;
import io.r2dbc.pool.ConnectionPoolConfiguration;
import io.r2dbc.postgresql.PostgresqlConnectionConfiguration;
import io.r2dbc.postgresql.PostgresqlConnectionFactory;
import io.r2dbc.spi.Connection;
import java.net.URI;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Appends per second to PostgreSQL: {@code thread.append(...)} through an Engram on the {@code postgres} provider
 * against a plain {@code INSERT} of an equivalent row (thread, sequence, event id, type, time, bytea payload) through
 * r2dbc-postgresql and an r2dbc-pool of the provider's default size (2..10). Each trial uses two fresh schemas and
 * drops them afterwards.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class PostgresAppendBenchmark extends AppendComparison {

    private Writers writers;
    private Engram engram;
    private ConnectionPool pool;
    private String engramSchema;
    private String plainSchema;
    private String insert;

    @Setup(Level.Trial)
    public void open() {
        writers = new Writers();
        engramSchema = Conversation.uniqueName("engram");
        plainSchema = Conversation.uniqueName("plain");
        engram = Engram.open(Conversation.postgres(engramSchema));
        pool = pool(2, 10);
        sql("CREATE SCHEMA " + plainSchema);
        sql("CREATE TABLE " + plainSchema + ".events (thread_id text COLLATE \"C\" NOT NULL, seq bigint NOT NULL, "
                + "event_id uuid NOT NULL, type text NOT NULL, ts bigint NOT NULL, data bytea NOT NULL, PRIMARY KEY (thread_id, seq))");
        insert = "INSERT INTO " + plainSchema + ".events (thread_id, seq, event_id, type, ts, data) VALUES ($1, $2, $3, $4, $5, $6)";
    }

    @TearDown(Level.Trial)
    public void close() {
        engram.close();
        sql("DROP SCHEMA IF EXISTS " + plainSchema + " CASCADE");
        sql("DROP SCHEMA IF EXISTS " + engramSchema + " CASCADE");
        pool.dispose();
    }

    /** A pool on the benchmark database, configured like the provider's. */
    static ConnectionPool pool(int initial, int max) {
        URI uri = URI.create(Conversation.POSTGRES_URL);
        PostgresqlConnectionFactory factory = new PostgresqlConnectionFactory(PostgresqlConnectionConfiguration.builder()
                .host(uri.getHost()).port(uri.getPort() < 0 ? 5432 : uri.getPort())
                .database(uri.getPath().substring(1)).username(uri.getUserInfo() == null ? "postgres" : uri.getUserInfo())
                .autodetectExtensions(false).build());
        return new ConnectionPool(ConnectionPoolConfiguration.builder(factory).initialSize(initial).maxSize(max).build());
    }

    private void sql(String statement) {
        Mono.usingWhen(pool.create(), c -> Flux.from(c.createStatement(statement).execute()).flatMap(r -> r.getRowsUpdated()).then(),
                Connection::close).block();
    }

    @Override
    Mono<?> engramAppend(int w) {
        Writers.Turn t = writers.next(w);
        return engram.thread(t.threadId()).append(Change.message(t.message()));
    }

    @Override
    Mono<?> plainAppend(int w) {
        Writers.Turn t = writers.next(w);
        return Mono.usingWhen(pool.create(),
                c -> Flux.from(c.createStatement(insert)
                                .bind(0, t.threadId()).bind(1, t.seq()).bind(2, UUID.randomUUID()).bind(3, "message")
                                .bind(4, System.currentTimeMillis()).bind(5, t.json())
                                .execute())
                        .flatMap(r -> r.getRowsUpdated()).then(),
                Connection::close);
    }
}
