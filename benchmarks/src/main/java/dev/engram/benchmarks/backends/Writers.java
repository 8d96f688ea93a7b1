package dev.engram.benchmarks.backends;

import dev.engram.core.model.Message;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.function.IntFunction;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * N writers, each appending to its own conversation and moving to a fresh one every {@link Conversation#TURNS}
 * appends. One invocation issues one append per writer, all at once, and waits for every acknowledgement.
 */
final class Writers {

    static final int MAX = 64;

    private final AtomicLongArray appended = new AtomicLongArray(MAX);
    private final Message[] messages = new Message[Conversation.TURNS];
    private final byte[][] json = new byte[Conversation.TURNS][];

    Writers() {
        for (int i = 0; i < messages.length; i++) {
            messages[i] = Conversation.message(i);
            json[i] = Conversation.utf8(Conversation.json(messages[i]));
        }
    }

    /** The next turn of writer {@code w}: its thread id, sequence number and message. */
    record Turn(String threadId, long seq, Message message, byte[] json) {
    }

    Turn next(int w) {
        long n = appended.getAndIncrement(w);
        int turn = (int) (n % Conversation.TURNS);
        return new Turn("w" + w + "-c" + (n / Conversation.TURNS), n, messages[turn], json[turn]);
    }

    /** Runs one operation per writer concurrently and blocks until all completed. */
    static void run(int writers, IntFunction<Mono<?>> op) {
        if (writers == 1) {
            op.apply(0).block();
        } else {
            Flux.range(0, writers).flatMap(op::apply, writers).then().block();
        }
    }
}
