package dev.engram.server;

import dev.engram.core.ConfigurationException;
import dev.engram.core.config.EngramConfig;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** {@code java -jar engine-server.jar [--config engram.yaml] [--port 8080] [--data ./data] [--host 0.0.0.0]}. */
public final class Main {

    private static final Logger LOG = LoggerFactory.getLogger(Main.class);

    static final String USAGE = """
            Usage: java -jar engine-server.jar [options]

            Serves Engram over HTTP, WebSocket and the Vert.x event bus.

            Options:
              --config <file>   read the engine and the server section from this YAML file
                                (default: $ENGRAM_CONFIG, else ./engram.yaml when it exists)
              --port <port>     HTTP port (default 8080; 0 picks a free one)
              --host <address>  address to bind (default 0.0.0.0)
              --data <dir>      data directory of the local provider (default ./data)
              --help            print this help and exit
            """;

    private Main() {
    }

    public static void main(String[] args) {
        Arguments parsed;
        try {
            parsed = Arguments.parse(args);
        } catch (IllegalArgumentException e) {
            System.err.println(e.getMessage());
            System.err.print(USAGE);
            System.exit(2);
            return;
        }
        if (parsed.help) {
            System.out.print(USAGE);
            return;
        }
        EngramServer server;
        try {
            Map<String, String> env = System.getenv();
            Path file = ServerConfigFile.locate(parsed.config, env);
            EngramConfig config = parsed.config != null ? EngramConfig.load(parsed.config) : EngramConfig.load();
            if (parsed.data != null) {
                config = config.withProviderOption(EngramConfig.DEFAULT_PROVIDER, "dataDir", parsed.data);
            }
            ServerOptions options = ServerConfigFile.read(file, env);
            if (parsed.port != null) {
                options.setPort(parsed.port);
            }
            if (parsed.host != null) {
                options.setHost(parsed.host);
            }
            server = EngramServer.start(config, options).toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
        } catch (ConfigurationException e) {
            System.err.println("Configuration error: " + e.getMessage());
            System.exit(2);
            return;
        } catch (Exception e) {
            Throwable cause = e.getCause() != null ? e.getCause() : e;
            LOG.error("Engram server did not start: {}", cause.getMessage(), cause);
            System.exit(1);
            return;
        }
        EngramServer running = server;
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                running.stop().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
            } catch (Exception e) {
                LOG.warn("Engram server did not stop cleanly: {}", e.getMessage());
            }
        }, "engram-shutdown"));
    }

    /** The parsed command line. */
    static final class Arguments {
        @Nullable Path config;
        @Nullable Integer port;
        @Nullable String host;
        @Nullable String data;
        boolean help;

        static Arguments parse(String[] args) {
            Arguments a = new Arguments();
            for (int i = 0; i < args.length; i++) {
                String arg = args[i];
                switch (arg) {
                    case "--help", "-h" -> a.help = true;
                    case "--config" -> a.config = Path.of(value(args, ++i, arg));
                    case "--host" -> a.host = value(args, ++i, arg);
                    case "--data" -> a.data = value(args, ++i, arg);
                    case "--port" -> {
                        String v = value(args, ++i, arg);
                        try {
                            a.port = Integer.parseInt(v);
                        } catch (NumberFormatException e) {
                            throw new IllegalArgumentException("--port needs a number, got '" + v + "'");
                        }
                    }
                    default -> throw new IllegalArgumentException("unknown option '" + arg + "'");
                }
            }
            return a;
        }

        private static String value(String[] args, int i, String option) {
            if (i >= args.length) {
                throw new IllegalArgumentException(option + " needs a value");
            }
            return args[i];
        }
    }
}
