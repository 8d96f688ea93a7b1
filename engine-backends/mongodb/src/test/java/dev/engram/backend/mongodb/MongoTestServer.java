package dev.engram.backend.mongodb;

import de.bwaldvogel.mongo.MongoServer;
import de.bwaldvogel.mongo.backend.memory.MemoryBackend;
import dev.engram.core.config.ProviderOptions;
import dev.engram.core.spi.Backend;
import dev.engram.core.spi.BackendContext;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
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

    /** Every {@code command} on the collection named {@code collection} fails unapplied, and only those, until {@link #serveAll()}. */
    void refuse(String command, String collection) {
        memory.refused = new String[] {command, collection};
    }

    /**
     * Every {@code command} on the collection named {@code collection} fails unapplied with MongoDB's "Unauthorized"
     * (code 13), as for a user whose roles do not allow it, until {@link #serveAll()}.
     */
    void unauthorized(String command, String collection) {
        memory.unauthorized = new String[] {command, collection};
    }

    /** Serves the commands {@link #refuse} or {@link #unauthorized} named again. */
    void serveAll() {
        memory.refused = null;
        memory.unauthorized = null;
    }

    /**
     * Just before the next {@code command} on the collection named {@code collection} is served, runs {@code change} on
     * the server's data of that command's database, once: another process's write landing at that point.
     */
    void before(String command, String collection, java.util.function.Consumer<de.bwaldvogel.mongo.MongoDatabase> change) {
        memory.before = new Before(command, collection, change);
    }

    /** The documents of {@code database}'s collection named {@code collection} that match {@code query}, read on the server's side. */
    List<de.bwaldvogel.mongo.bson.Document> documents(String database, String collection, de.bwaldvogel.mongo.bson.Document query) {
        List<de.bwaldvogel.mongo.bson.Document> found = new ArrayList<>();
        memory.resolveDatabase(database).resolveCollection(collection, false).handleQuery(query).forEach(found::add);
        return found;
    }

    private record Before(String command, String collection, java.util.function.Consumer<de.bwaldvogel.mongo.MongoDatabase> change) {
    }

    private static boolean names(de.bwaldvogel.mongo.bson.Document command, String name, String collection) {
        String first = command.keySet().iterator().next();
        return first.equals(name) && String.valueOf(command.get(first)).endsWith(collection);
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
        private volatile String[] refused;
        private volatile String[] unauthorized;
        private volatile Before before;

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
            de.bwaldvogel.mongo.bson.Document command = message.getDocument();
            String[] at = goneAt;
            if (at != null) {
                gone |= names(command, at[0], at[1]);
                if (gone) {
                    throw new de.bwaldvogel.mongo.exception.MongoServerException("gone away (test)");
                }
            }
            String[] no = refused;
            if (no != null && names(command, no[0], no[1])) {
                throw new de.bwaldvogel.mongo.exception.MongoServerException("refused (test)");
            }
            String[] denied = unauthorized;
            if (denied != null && names(command, denied[0], denied[1])) {
                throw new de.bwaldvogel.mongo.exception.MongoServerError(13, "Unauthorized", "not authorized to execute command " + command.keySet().iterator().next() + " (test)");
            }
            Before b = before;
            if (b != null && names(command, b.command(), b.collection())) {
                before = null;
                b.change().accept(delegate.resolveDatabase(String.valueOf(command.get("$db"))));
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
