package dev.engram.benchmarks.backends;

import com.mongodb.reactivestreams.client.MongoClient;
import com.mongodb.reactivestreams.client.MongoClients;
import com.mongodb.reactivestreams.client.MongoCollection;
import de.bwaldvogel.mongo.MongoServer;
import de.bwaldvogel.mongo.backend.memory.MemoryBackend;
import dev.engram.core.Engram;
import dev.engram.core.model.Change;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.bson.Document;
import org.bson.types.Binary;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import reactor.core.publisher.Mono;

/**
 * Appends per second to MongoDB (mongo-java-server, memory backend, in this JVM: no MongoDB server can run here):
 * {@code thread.append(...)} through an Engram on the {@code mongodb} provider against a plain {@code insertOne} of an
 * equivalent document through the reactive driver. Each trial has a server of its own, stopped afterwards.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class MongoAppendBenchmark extends AppendComparison {

    private Writers writers;
    private MongoServer server;
    private Engram engram;
    private MongoClient client;
    private MongoCollection<Document> plain;

    @Setup(Level.Trial)
    public void open() {
        writers = new Writers();
        server = new MongoServer(new MemoryBackend());
        server.bind("127.0.0.1", 0);
        String url = "mongodb://127.0.0.1:" + server.getLocalAddress().getPort();
        engram = Engram.open(mongodb(url, "engram"));
        client = MongoClients.create(url);
        plain = client.getDatabase("plain").getCollection("events");
    }

    static dev.engram.core.config.EngramConfig mongodb(String url, String database) {
        return dev.engram.core.config.EngramConfig.defaults().withProvider("mongodb").withStrict(true)
                .withProviderOption("mongodb", "url", url).withProviderOption("mongodb", "database", database);
    }

    @TearDown(Level.Trial)
    public void close() {
        engram.close();
        client.close();
        server.shutdownNow();
    }

    @Override
    Mono<?> engramAppend(int w) {
        Writers.Turn t = writers.next(w);
        return engram.thread(t.threadId()).append(Change.message(t.message()));
    }

    @Override
    Mono<?> plainAppend(int w) {
        Writers.Turn t = writers.next(w);
        Document doc = new Document("th", t.threadId()).append("seq", t.seq()).append("id", UUID.randomUUID().toString())
                .append("type", "message").append("ts", System.currentTimeMillis()).append("d", new Binary(t.json()));
        return Mono.from(plain.insertOne(doc));
    }
}
