package dev.engram.backend.mongodb;

import de.bwaldvogel.mongo.MongoServer;
import de.bwaldvogel.mongo.backend.memory.MemoryBackend;
import dev.engram.core.config.ProviderOptions;
import dev.engram.core.spi.Backend;
import dev.engram.core.spi.BackendContext;
import java.time.Clock;
import java.util.Map;
import java.util.TreeMap;

/** An in-process MongoDB wire-protocol server (mongo-java-server, memory backend) on 127.0.0.1 and an ephemeral port. */
final class MongoTestServer implements AutoCloseable {

    private final KeptBackend memory = new KeptBackend(new MemoryBackend());
    private MongoServer server;
    private final int port;

    private MongoTestServer() {
        server = new MongoServer(memory);
        server.bind("127.0.0.1", 0);
        port = server.getLocalAddress().getPort();
    }

    static MongoTestServer start() {
        return new MongoTestServer();
    }

    String url() {
        return "mongodb://127.0.0.1:" + port;
    }

    int port() {
        return port;
    }

    /** Options for a backend on this server; every test gives its own database so tests never share data. */
    ProviderOptions options(String database, String... more) {
        Map<String, String> values = new TreeMap<>();
        values.put("url", url());
        values.put("database", database);
        values.put("serverSelectionTimeout", "2s");
        values.put("commandTimeout", "5s");
        values.put("pollInterval", "20ms");
        for (int i = 0; i + 1 < more.length; i += 2) {
            values.put(more[i], more[i + 1]);
        }
        return new ProviderOptions("mongodb", values);
    }

    Backend backend(String database, Clock clock, String... more) {
        return new MongoProvider().create(new BackendContext(options(database, more), clock));
    }

    /** Goes away: stops listening and drops every connection. The data stays in memory, as on a stopped server's disk. */
    void stop() {
        server.shutdownNow();
    }

    /** Serves the same data again on the same port. */
    void restart() {
        server = new MongoServer(memory);
        server.bind("127.0.0.1", port);
    }

    /**
     * From the next {@code command} on the collection named {@code collection} (after the backend's prefix) on, that
     * one included, every command fails unapplied, as on a server that went away at that point of a write, until
     * {@link #comeBack()}.
     */
    void goAwayAt(String command, String collection) {
        memory.goneAt = new String[] {command, collection};
    }

    /** Answers every command again, with the data as it was when it went away. */
    void comeBack() {
        memory.goneAt = null;
        memory.gone = false;
    }

    @Override
    public void close() {
        server.shutdownNow();
    }

    /** The memory backend, except that a server's shutdown does not wipe it, so a new server can serve the same data. */
    private static final class KeptBackend implements de.bwaldvogel.mongo.MongoBackend {
        private final de.bwaldvogel.mongo.MongoBackend delegate;
        private volatile String[] goneAt;
        private volatile boolean gone;

        KeptBackend(de.bwaldvogel.mongo.MongoBackend delegate) {
            this.delegate = delegate;
        }

        @Override
        public void handleClose(io.netty.channel.Channel channel) {
            delegate.handleClose(channel);
        }

        @Override
        public de.bwaldvogel.mongo.bson.Document handleCommand(io.netty.channel.Channel channel, String database, String command,
                                                             de.bwaldvogel.mongo.bson.Document query) {
            return delegate.handleCommand(channel, database, command, query);
        }

        @Override
        public de.bwaldvogel.mongo.backend.QueryResult handleQuery(de.bwaldvogel.mongo.wire.message.MongoQuery query) {
            return delegate.handleQuery(query);
        }

        @Override
        public de.bwaldvogel.mongo.bson.Document handleMessage(de.bwaldvogel.mongo.wire.message.MongoMessage message) {
            String[] at = goneAt;
            if (at != null) {
                de.bwaldvogel.mongo.bson.Document command = message.getDocument();
                String name = command.keySet().iterator().next();
                gone |= name.equals(at[0]) && String.valueOf(command.get(name)).endsWith(at[1]);
                if (gone) {
                    throw new de.bwaldvogel.mongo.exception.MongoServerException("gone away (test)");
                }
            }
            return delegate.handleMessage(message);
        }

        @Override
        public void dropDatabase(String database) {
            delegate.dropDatabase(database);
        }

        @Override
        public java.util.Collection<de.bwaldvogel.mongo.bson.Document> getCurrentOperations(de.bwaldvogel.mongo.wire.message.MongoQuery query) {
            return delegate.getCurrentOperations(query);
        }

        @Override
        public de.bwaldvogel.mongo.bson.Document getServerStatus() {
            return delegate.getServerStatus();
        }

        @Override
        public void close() {
        }

        @Override
        public void closeCursors(java.util.List<Long> cursorIds) {
            delegate.closeCursors(cursorIds);
        }

        @Override
        public Clock getClock() {
            return delegate.getClock();
        }

        @Override
        public void enableOplog() {
            delegate.enableOplog();
        }

        @Override
        public void disableOplog() {
            delegate.disableOplog();
        }

        @Override
        public de.bwaldvogel.mongo.MongoDatabase resolveDatabase(String database) {
            return delegate.resolveDatabase(database);
        }

        @Override
        public de.bwaldvogel.mongo.MongoBackend version(de.bwaldvogel.mongo.MongoVersion version) {
            delegate.version(version);
            return this;
        }
    }
}
