package dev.engram.core.thread;

import dev.engram.core.NotFoundException;
import dev.engram.core.model.ThreadKey;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.Disposable;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

/**
 * Takes policy checkpoints off the append path: requests are queued (one per thread at a time, a bounded number
 * overall) and run a few at a time on the parallel scheduler. A dropped request costs nothing but a longer tail:
 * the next append that crosses the policy asks again.
 */
final class Checkpointer {

    private static final Logger log = LoggerFactory.getLogger(Checkpointer.class);
    private static final int MAX_QUEUED = 10_000;
    private static final int CONCURRENCY = Math.max(2, Runtime.getRuntime().availableProcessors());

    private final Function<ThreadKey, Mono<?>> checkpoint;
    private final Set<ThreadKey> pending = ConcurrentHashMap.newKeySet();
    /** Threads asked for again while their checkpoint ran: it runs once more afterwards, so no crossing is lost. */
    private final Set<ThreadKey> again = ConcurrentHashMap.newKeySet();
    private final ConcurrentLinkedQueue<ThreadKey> queue = new ConcurrentLinkedQueue<>();
    private final Set<Disposable> running = ConcurrentHashMap.newKeySet();
    private final AtomicInteger active = new AtomicInteger();
    private volatile boolean closed;

    Checkpointer(Function<ThreadKey, Mono<?>> checkpoint) {
        this.checkpoint = checkpoint;
    }

    void request(ThreadKey key) {
        if (closed || pending.size() >= MAX_QUEUED) {
            return;
        }
        if (!pending.add(key)) {
            again.add(key);
            return;
        }
        queue.add(key);
        drain();
    }

    private void drain() {
        while (!closed && !queue.isEmpty()) {
            int a = active.get();
            if (a >= CONCURRENCY) {
                return;
            }
            if (!active.compareAndSet(a, a + 1)) {
                continue;
            }
            ThreadKey key = queue.poll();
            if (key == null) {
                active.decrementAndGet();
                continue;
            }
            Disposable[] handle = new Disposable[1];
            handle[0] = checkpoint.apply(key)
                    .subscribeOn(Schedulers.parallel())
                    .doFinally(s -> {
                        pending.remove(key);
                        if (again.remove(key)) {
                            request(key);
                        }
                        if (handle[0] != null) {
                            running.remove(handle[0]);
                        }
                        active.decrementAndGet();
                        drain();
                    })
                    .subscribe(null, e -> {
                        if (e instanceof NotFoundException) {
                            log.debug("policy checkpoint of {} skipped: the thread was deleted", key);
                        } else {
                            log.warn("policy checkpoint of {} failed (the next one will retry): {}", key, e.toString());
                        }
                    });
            running.add(handle[0]);
        }
    }

    /** Stops taking checkpoints; ones in flight are cancelled (a checkpoint is saved whole or not at all). */
    void close() {
        closed = true;
        running.forEach(Disposable::dispose);
        running.clear();
        queue.clear();
        again.clear();
    }
}
