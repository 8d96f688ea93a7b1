package dev.engram.backend.postgres;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A PostgreSQL cluster of the test's own, in a temp directory, on 127.0.0.1 and a free port, that the test may stop
 * and start (the machine's server is never touched). initdb refuses to run as root, so as root it runs as the
 * {@code postgres} OS user through runuser.
 */
final class PrivatePostgres implements AutoCloseable {

    private static final Path BIN = Path.of("/usr/lib/postgresql/15/bin");

    private final Path dir;
    private final Path data;
    private final int port;
    private boolean running;

    private PrivatePostgres(Path dir, int port) {
        this.dir = dir;
        this.data = dir.resolve("data");
        this.port = port;
    }

    static PrivatePostgres create() throws IOException, InterruptedException {
        if (!Files.isExecutable(BIN.resolve("initdb"))) {
            throw new AssertionError(BIN + "/initdb is missing: install the PostgreSQL 15 server binaries (apt-get install postgresql-15)");
        }
        Path dir = Files.createTempDirectory("engram-pg-");
        PrivatePostgres pg = new PrivatePostgres(dir, freePort());
        if (asRoot()) {
            run(List.of("chown", "postgres:postgres", dir.toString()), dir.resolve("chown.log"));
        }
        pg.pgTool(List.of(BIN.resolve("initdb").toString(), "-D", pg.data.toString(), "-A", "trust", "-U", "postgres", "--no-sync",
                "-E", "UTF8", "--locale=C"), "initdb.log");
        return pg;
    }

    int port() {
        return port;
    }

    String url() {
        return "postgresql://postgres@127.0.0.1:" + port + "/postgres";
    }

    void start() throws IOException, InterruptedException {
        pgTool(List.of(BIN.resolve("pg_ctl").toString(), "-D", data.toString(), "-l", dir.resolve("server.log").toString(), "-w", "-t", "60",
                "-o", "-c listen_addresses=127.0.0.1 -p " + port + " -c unix_socket_directories=" + dir + " -c fsync=on"
                        + " -c synchronous_commit=on -c max_connections=50", "start"), "pg_ctl-start.log");
        running = true;
    }

    /** Stops the server the harsh way: every server process quits at once, as in a crash; recovery replays the WAL. */
    void stopImmediately() throws IOException, InterruptedException {
        pgTool(List.of(BIN.resolve("pg_ctl").toString(), "-D", data.toString(), "-m", "immediate", "-w", "stop"), "pg_ctl-stop.log");
        running = false;
    }

    @Override
    public void close() throws Exception {
        try {
            if (running) {
                stopImmediately();
            }
        } finally {
            try (Stream<Path> files = Files.walk(dir)) {
                files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    private void pgTool(List<String> command, String log) throws IOException, InterruptedException {
        List<String> full = new ArrayList<>();
        if (asRoot()) {
            full.addAll(List.of("runuser", "-u", "postgres", "--"));
        }
        full.addAll(command);
        run(full, dir.resolve(log));
    }

    private static void run(List<String> command, Path log) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        if (!p.waitFor(90, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError(String.join(" ", command) + " did not finish in 90 s");
        }
        if (p.exitValue() != 0) {
            throw new AssertionError(String.join(" ", command) + " failed (" + p.exitValue() + "): " + Files.readString(log));
        }
    }

    private static boolean asRoot() {
        return "root".equals(System.getProperty("user.name"));
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }
}
