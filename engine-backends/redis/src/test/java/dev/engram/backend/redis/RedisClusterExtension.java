package dev.engram.backend.redis;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Starts a 3-master Redis Cluster on free loopback ports for the test run (once, shared by every class that uses
 * it), and stops its processes when the run ends. Tests read the seed nodes from {@link #url()}.
 */
final class RedisClusterExtension implements BeforeAllCallback {

    private static final ExtensionContext.Namespace NAMESPACE = ExtensionContext.Namespace.create(RedisClusterExtension.class);
    private static volatile Cluster cluster;

    @Override
    public void beforeAll(ExtensionContext context) {
        cluster = context.getRoot().getStore(NAMESPACE).computeIfAbsent("cluster", k -> Cluster.start(), Cluster.class);
    }

    /** {@code redis://host:port,host:port,host:port}: the cluster's nodes, to use with {@code cluster: true}. */
    static String url() {
        if (cluster == null) {
            throw new IllegalStateException("annotate the test class with @ExtendWith(RedisClusterExtension.class)");
        }
        return "redis://" + cluster.nodes.stream().map(n -> "127.0.0.1:" + n.port()).collect(Collectors.joining(","));
    }

    /** Three cluster-enabled servers, each in its own temporary directory. */
    static final class Cluster implements AutoCloseable {

        private final Path dir;
        private final List<RedisServerProcess> nodes = new ArrayList<>();

        private Cluster(Path dir) {
            this.dir = dir;
        }

        static Cluster start() {
            try {
                Cluster c = new Cluster(Files.createTempDirectory("engram-redis-cluster"));
                try {
                    c.startNodes();
                    c.createCluster();
                    c.awaitOk(Duration.ofSeconds(60));
                    return c;
                } catch (Exception e) {
                    c.close();
                    throw e;
                }
            } catch (Exception e) {
                throw new IllegalStateException("cannot start a Redis Cluster for the tests (redis-server and redis-cli must be on"
                        + " the PATH): " + e.getMessage(), e);
            }
        }

        private void startNodes() throws IOException {
            List<Integer> ports = new ArrayList<>();
            while (ports.size() < 3) {
                int p = RedisServerProcess.freePort();
                if (ports.stream().noneMatch(q -> Math.abs(q - p) < 2 || Math.abs(q - p) == 10000)) {
                    ports.add(p);
                }
            }
            for (int port : ports) {
                Path nodeDir = Files.createDirectories(dir.resolve("node-" + port));
                nodes.add(RedisServerProcess.start(port, nodeDir, "--cluster-enabled", "yes", "--cluster-config-file",
                        nodeDir.resolve("nodes-" + port + ".conf").toString(), "--appendonly", "no"));
            }
        }

        private void createCluster() throws IOException, InterruptedException {
            List<String> command = new ArrayList<>(List.of("redis-cli", "--cluster", "create"));
            nodes.forEach(n -> command.add("127.0.0.1:" + n.port()));
            command.addAll(List.of("--cluster-replicas", "0", "--cluster-yes"));
            Path log = dir.resolve("cluster-create.log");
            Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IOException("redis-cli --cluster create did not finish in 60 s");
            }
            if (p.exitValue() != 0) {
                throw new IOException("redis-cli --cluster create failed: " + Files.readString(log));
            }
        }

        private void awaitOk(Duration timeout) throws IOException {
            long deadline = System.nanoTime() + timeout.toNanos();
            for (RedisServerProcess node : nodes) {
                while (!node.command("CLUSTER INFO").contains("cluster_state:ok")) {
                    if (System.nanoTime() > deadline) {
                        throw new IOException("node " + node.port() + " did not reach cluster_state:ok within " + timeout);
                    }
                    RedisServerProcess.pause();
                }
            }
        }

        @Override
        public void close() throws Exception {
            for (RedisServerProcess node : nodes) {
                node.close();
            }
            try (Stream<Path> files = Files.walk(dir)) {
                files.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
            }
        }
    }
}
