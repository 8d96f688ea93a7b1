package dev.engram.core.cli;

import dev.engram.core.Engram;
import dev.engram.core.config.EngramConfig;
import dev.engram.core.model.Change;
import dev.engram.core.model.Message;
import dev.engram.core.model.ThreadQuery;
import dev.engram.core.model.ThreadState;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;

/**
 * {@code engram [--config engram.yaml] <command>}: append a message, print a thread's state or events, list threads.
 * Uses {@code engram.yaml} and {@code ENGRAM_*} like an embedded engine, so by default the local provider under {@code ./data}.
 */
public final class EngramCli {

    private static final Duration TIMEOUT = Duration.ofSeconds(30);
    private static final String USAGE = """
            usage: engram [--config FILE] COMMAND
              append THREAD [ROLE] TEXT   append a message (role defaults to user) and print the new version
              state THREAD                print the thread's current state
              events THREAD [FROM]        print the thread's events from a version (default 1)
              threads                     list the default tenant's threads
            """;

    private EngramCli() {
    }

    public static void main(String[] args) {
        int code = run(args, System.out, System.err);
        if (code != 0) {
            System.exit(code);
        }
    }

    static int run(String[] args, PrintStream out, PrintStream err) {
        EngramConfig config;
        String[] rest = args;
        if (rest.length >= 2 && rest[0].equals("--config")) {
            config = EngramConfig.load(Path.of(rest[1]));
            rest = Arrays.copyOfRange(rest, 2, rest.length);
        } else {
            config = EngramConfig.load();
        }
        if (rest.length == 0 || rest[0].equals("--help")) {
            out.print(USAGE);
            return rest.length == 0 ? 2 : 0;
        }
        try (Engram engram = Engram.open(config)) {
            return switch (rest[0]) {
                case "append" -> append(engram, rest, out, err);
                case "state" -> state(engram, rest, out, err);
                case "events" -> events(engram, rest, out, err);
                case "threads" -> threads(engram, out);
                default -> {
                    err.print("unknown command '" + rest[0] + "'\n" + USAGE);
                    yield 2;
                }
            };
        } catch (RuntimeException e) {
            err.println("error: " + e.getMessage());
            return 1;
        }
    }

    private static int append(Engram engram, String[] a, PrintStream out, PrintStream err) {
        if (a.length < 3) {
            err.print(USAGE);
            return 2;
        }
        String role = a.length >= 4 ? a[2] : "user";
        String text = a.length >= 4 ? String.join(" ", Arrays.copyOfRange(a, 3, a.length)) : a[2];
        var appended = engram.thread(a[1]).append(Change.message(Message.of(role, text))).block(TIMEOUT);
        out.println("appended " + a[1] + " version " + appended.lastVersion());
        return 0;
    }

    private static int state(Engram engram, String[] a, PrintStream out, PrintStream err) {
        if (a.length < 2) {
            err.print(USAGE);
            return 2;
        }
        ThreadState s = engram.thread(a[1]).state().block(TIMEOUT);
        if (s == null) {
            err.println("no thread " + a[1]);
            return 1;
        }
        out.println(a[1] + " at version " + s.version() + ", updated " + s.updatedAt());
        s.messages().forEach(m -> out.println("  " + m.role() + ": " + m.content()));
        s.values().forEach((k, v) -> out.println("  [" + k + "] = " + v));
        return 0;
    }

    private static int events(Engram engram, String[] a, PrintStream out, PrintStream err) {
        if (a.length < 2) {
            err.print(USAGE);
            return 2;
        }
        long from = a.length >= 3 ? Long.parseLong(a[2]) : 1;
        engram.thread(a[1]).events(from).doOnNext(e -> out.println(e.version() + " " + e.timestamp() + " " + e.type() + " " + e.change()))
                .then().block(TIMEOUT);
        return 0;
    }

    private static int threads(Engram engram, PrintStream out) {
        engram.threads(ThreadQuery.of(dev.engram.core.model.ThreadKey.DEFAULT_TENANT)).block(TIMEOUT)
                .items().forEach(t -> out.println(t.key().threadId() + " v" + t.version() + " " + t.metadata()));
        return 0;
    }
}
