package dev.engram.core.local;

import java.util.concurrent.RejectedExecutionException;
import org.jspecify.annotations.Nullable;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;

/** Runs blocking reads on the backend's read scheduler; results are emitted there, never on the subscriber's thread. */
final class LocalReads {

    private final LocalDb db;
    private final Scheduler scheduler;

    LocalReads(LocalDb db, Scheduler scheduler) {
        this.db = db;
        this.scheduler = scheduler;
    }

    /** Emits the call's result, or completes empty when it returns null. */
    <T> Mono<T> call(String what, LocalDb.Call<@Nullable T> call) {
        return Mono.fromCallable(() -> db.call(what, call))
                .subscribeOn(scheduler)
                .onErrorMap(RejectedExecutionException.class, e -> LocalErrors.closed());
    }
}
