package dev.engram.backend.postgres;

import static dev.engram.backend.postgres.LocalPostgres.TIMEOUT;

import dev.engram.core.spi.LogAppend;
import io.r2dbc.postgresql.PostgresqlConnectionFactory;
import io.r2dbc.postgresql.api.PostgresqlConnection;
import io.r2dbc.spi.Statement;
import java.util.List;
import reactor.core.publisher.Flux;

/** One connection of the test database, for scenarios whose statements must share a session or a transaction. */
final class SqlSession implements AutoCloseable {

    private final PostgresqlConnection connection;

    SqlSession(PostgresqlConnectionFactory factory) {
        this.connection = factory.create().block(TIMEOUT);
    }

    void begin() {
        connection.beginTransaction().block(TIMEOUT);
    }

    void rollback() {
        connection.rollbackTransaction().block(TIMEOUT);
    }

    /** Runs one statement without parameters; the first column of each row, as text. */
    List<String> sql(String sql) {
        return rows(connection.createStatement(sql));
    }

    /**
     * Runs statements separated by semicolons through the simple query protocol (which {@code PREPARE} with
     * placeholders needs); the first column of each row any of them returned, as text.
     */
    List<String> script(String script) {
        return Flux.from(connection.createBatch().add(script).execute())
                .concatMap(r -> r.map((row, meta) -> String.valueOf(row.get(0))))
                .collectList()
                .block(TIMEOUT);
    }

    /** Calls {@code append_batch} with {@code batch}, as the batcher does; each append's outcome as "status first..last head detail". */
    List<String> appendBatch(String quotedSchema, List<LogAppend> batch) {
        Statement call = connection.createStatement(PostgresAppendBatcher.sql(quotedSchema));
        Object[] params = PostgresAppendBatcher.params(batch);
        for (int i = 0; i < params.length; i++) {
            call.bind(i, params[i]);
        }
        return Flux.from(call.execute())
                .concatMap(r -> r.map((row, meta) -> row.get(1) + " " + row.get(2) + ".." + row.get(3) + " " + row.get(4) + " " + row.get(5)))
                .collectList()
                .block(TIMEOUT);
    }

    private List<String> rows(Statement statement) {
        return Flux.from(statement.execute())
                .concatMap(r -> r.map((row, meta) -> String.valueOf(row.get(0))))
                .collectList()
                .block(TIMEOUT);
    }

    @Override
    public void close() {
        connection.close().block(TIMEOUT);
    }
}
