package dev.engram.core.local;

import dev.engram.core.Engram;
import dev.engram.core.ThreadHandle;
import dev.engram.core.config.EngramConfig;
import dev.engram.core.model.AppendBatch;
import dev.engram.core.model.Appended;
import dev.engram.core.model.ExpectedVersion;
import dev.engram.core.model.NewEvent;
import dev.engram.core.model.ThreadInfo;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * The writer process of {@link CrashIT}: resumes every thread of {@link CrashWorkload} from its head and appends until
 * it is killed, printing {@code ACK <threadId> <first> <last> <eventId>...} once an append is acknowledged, and
 * {@code DEDUP <threadId> <first> <last>} after checking that re-sending the last batch of a thread is deduplicated.
 */
public final class CrashChild {

    /** A child the parent forgot is gone after this long. */
    private static final Duration MAX_RUN = Duration.ofSeconds(60);

    private static final PrintStream OUT = new PrintStream(new FileOutputStream(FileDescriptor.out), false, StandardCharsets.UTF_8);

    private CrashChild() {
    }

    public static void main(String[] args) {
        EngramConfig config = EngramConfig.defaults()
                .withProviderOption("local", "dataDir", args[0])
                .withProviderOption("local", "sync", "always");
        Engram engram = Engram.open(config);
        try {
            List<Flux<Long>> writers = new ArrayList<>();
            for (int i = 0; i < CrashWorkload.THREADS; i++) {
                ThreadHandle thread = engram.thread(CrashWorkload.threadId(i));
                long head = thread.info().map(ThreadInfo::version).defaultIfEmpty(0L).block(Duration.ofSeconds(30));
                resendLastBatch(thread, head);
                writers.add(Mono.just(head + 1).expand(start -> append(thread, start).map(a -> a.lastVersion() + 1)));
            }
            // each writer keeps one append in flight, so up to THREADS appends meet in one group commit
            Flux.merge(writers).take(MAX_RUN).blockLast();
            print("DONE");
        } catch (RuntimeException e) {
            print("ERROR " + e);
            e.printStackTrace();
            System.exit(2);
        }
        System.exit(0);
    }

    private static Mono<Appended> append(ThreadHandle thread, long start) {
        String id = thread.key().threadId();
        List<NewEvent> events = CrashWorkload.batch(id, start);
        return thread.append(new AppendBatch(events, ExpectedVersion.exactly(start - 1), Map.of(), null))
                .doOnNext(a -> {
                    StringBuilder line = new StringBuilder("ACK ").append(id).append(' ').append(a.firstVersion()).append(' ').append(a.lastVersion());
                    events.forEach(e -> line.append(' ').append(e.eventId()));
                    print(line.toString());
                });
    }

    /** An acknowledgement lost in the crash is recovered by resending: it must come back deduplicated, with the original versions. */
    private static void resendLastBatch(ThreadHandle thread, long head) {
        if (head == 0) {
            return;
        }
        String id = thread.key().threadId();
        long start = CrashWorkload.lastBatchStart(id, head);
        if (start < 0) {
            throw new IllegalStateException(id + ": head " + head + " is not on a batch boundary (a partial batch?)");
        }
        Appended a = thread.append(AppendBatch.of(CrashWorkload.batch(id, start))).block(Duration.ofSeconds(30));
        if (a == null || !a.deduplicated() || a.firstVersion() != start || a.lastVersion() != head) {
            throw new IllegalStateException(id + ": resending " + start + ".." + head + " gave " + a);
        }
        print("DEDUP " + id + " " + start + " " + head);
    }

    private static void print(String line) {
        synchronized (OUT) {
            OUT.print(line + "\n");
            OUT.flush();
        }
    }
}
