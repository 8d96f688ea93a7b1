package dev.engram.server;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.util.Objects;
import java.util.function.Consumer;
import org.reactivestreams.Subscription;
import reactor.core.Disposable;
import reactor.core.publisher.BaseSubscriber;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

/**
 * The only place where Reactor meets Vert.x. Every signal of a Mono or Flux is handed back to the Vert.x context that
 * subscribed, so handlers always run on their event loop and never block it.
 */
public final class Reactive {

    private Reactive() {
    }

    /** Subscribes now; the future completes on the caller's context with the value (null when empty) or the error. */
    public static <T> Future<T> future(Mono<T> mono) {
        Context context = currentContext();
        Promise<T> promise = Promise.promise();
        Mono<T> source;
        try {
            source = Objects.requireNonNull(mono, "mono");
        } catch (RuntimeException e) {
            return Future.failedFuture(e);
        }
        // the engine's CPU work (validation, encoding, folding) runs on Reactor's workers, never on the event loop
        source.subscribeOn(Schedulers.parallel()).subscribe(
                value -> context.runOnContext(v -> promise.tryComplete(value)),
                error -> context.runOnContext(v -> promise.tryFail(error)),
                () -> context.runOnContext(v -> promise.tryComplete(null)));
        return promise.future();
    }

    /** For code outside any Vert.x context (start-up, shutdown): the future completes on whichever thread Reactor signals on. */
    public static Future<Void> detached(Mono<Void> mono) {
        return Future.fromCompletionStage(mono.toFuture()).mapEmpty();
    }

    /** Builds the Mono lazily so that validation errors thrown while building fail the future instead of the caller. */
    public static <T> Future<T> defer(java.util.function.Supplier<Mono<T>> mono) {
        return future(Mono.defer(mono));
    }

    /**
     * Subscribes to {@code flux} with {@code window} elements of demand: {@code onNext} runs on the caller's context and
     * calls the returned stream's {@link Stream#request()} when it is ready for one more, so at most {@code window}
     * elements are ever in flight.
     */
    public static <T> Stream stream(Flux<T> flux, int window, Consumer<T> onNext, Consumer<Throwable> onError) {
        Context context = currentContext();
        Windowed<T> subscriber = new Windowed<>(context, window, onNext, onError);
        flux.subscribeOn(Schedulers.parallel()).subscribe(subscriber);
        return subscriber;
    }

    /** A running subscription driven from a Vert.x context. */
    public interface Stream extends Disposable {

        /** Asks for one more element. */
        void request();
    }

    private static Context currentContext() {
        Context context = Vertx.currentContext();
        if (context == null) {
            throw new IllegalStateException("Reactive bridges must be called from a Vert.x context");
        }
        return context;
    }

    private static final class Windowed<T> extends BaseSubscriber<T> implements Stream {
        private final Context context;
        private final int window;
        private final Consumer<T> onNext;
        private final Consumer<Throwable> onError;
        private volatile boolean cancelled;

        Windowed(Context context, int window, Consumer<T> onNext, Consumer<Throwable> onError) {
            this.context = context;
            this.window = window;
            this.onNext = onNext;
            this.onError = onError;
        }

        @Override
        protected void hookOnSubscribe(Subscription subscription) {
            subscription.request(window);
        }

        @Override
        protected void hookOnNext(T value) {
            context.runOnContext(v -> {
                // not isDisposed(): that is also true once an error follows, and the value before it must still arrive
                if (!cancelled) {
                    onNext.accept(value);
                }
            });
        }

        @Override
        protected void hookOnError(Throwable error) {
            context.runOnContext(v -> onError.accept(error));
        }

        @Override
        protected void hookOnCancel() {
            cancelled = true;
        }

        @Override
        public void request() {
            if (!isDisposed()) {
                request(1);
            }
        }
    }
}
