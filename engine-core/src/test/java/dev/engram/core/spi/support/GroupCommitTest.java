package dev.engram.core.spi.support;

import static org.assertj.core.api.Assertions.assertThat;

import dev.engram.core.BackendUnavailableException;
import dev.engram.core.VersionConflictException;
import dev.engram.core.model.ExpectedVersion;
import dev.engram.core.model.ThreadKey;
import dev.engram.core.spi.LogAppended;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;
import reactor.test.StepVerifier;

class GroupCommitTest {

    private static final Duration WAIT = Duration.ofSeconds(5);

    /** A writer whose writes wait until the test releases them, and that answers each append with version = its index. */
    private static final class HeldWriter implements GroupCommit.Writer<String> {
        final List<List<String>> groups = new CopyOnWriteArrayList<>();
        final List<Sinks.One<Void>> releases = new CopyOnWriteArrayList<>();

        @Override
        public Mono<List<Object>> write(List<String> group) {
            groups.add(List.copyOf(group));
            Sinks.One<Void> release = Sinks.one();
            releases.add(release);
            return release.asMono().then(Mono.fromSupplier(() -> {
                List<Object> outcomes = new ArrayList<>();
                for (String s : group) {
                    outcomes.add(s.startsWith("conflict") ? new VersionConflictException(ThreadKey.of(s), ExpectedVersion.exactly(1), 2)
                            : new LogAppended(1, 1, false));
                }
                return outcomes;
            }));
        }

        void release(int write) {
            releases.get(write).tryEmitEmpty();
        }
    }

    @Test
    void appendsThatWaitGoTogetherInTheNextWrite() {
        HeldWriter writer = new HeldWriter();
        GroupCommit<String, LogAppended> commit = new GroupCommit<>("test", 3, 1 << 20, 1, writer);

        var first = commit.submit("a", 10, ThreadKey.of("a")).toFuture();
        var waiting = List.of("b", "conflict-c", "d", "e").stream().map(t -> commit.submit(t, 10, ThreadKey.of(t)).toFuture()).toList();

        assertThat(writer.groups).as("the first append is written at once, alone").containsExactly(List.of("a"));
        writer.release(0);
        assertThat(first).succeedsWithin(WAIT);
        assertThat(writer.groups).as("then the waiting ones, up to maxAppends in one write")
                .containsExactly(List.of("a"), List.of("b", "conflict-c", "d"));
        writer.release(1);
        assertThat(waiting.get(0)).succeedsWithin(WAIT);
        assertThat(waiting.get(1)).as("each append keeps its own outcome").failsWithin(WAIT)
                .withThrowableOfType(java.util.concurrent.ExecutionException.class).havingCause().isInstanceOf(VersionConflictException.class);
        assertThat(waiting.get(2)).succeedsWithin(WAIT);
        assertThat(writer.groups).last().isEqualTo(List.of("e"));
        writer.release(2);
        assertThat(waiting.get(3)).succeedsWithin(WAIT);
    }

    @Test
    void theNextWriteStartsBeforeTheAnsweredOnesAreHandedOut() {
        HeldWriter writer = new HeldWriter();
        GroupCommit<String, LogAppended> commit = new GroupCommit<>("test", 3, 1 << 20, 1, writer);
        List<Integer> writesStartedWhenAnswered = new CopyOnWriteArrayList<>();

        var first = commit.submit("a", 10, ThreadKey.of("a")).doOnNext(r -> writesStartedWhenAnswered.add(writer.groups.size())).toFuture();
        var second = commit.submit("b", 10, ThreadKey.of("b")).toFuture();
        writer.release(0);

        assertThat(first).succeedsWithin(WAIT);
        assertThat(writesStartedWhenAnswered).as("the waiting append was on its way before the first caller heard back").containsExactly(2);
        writer.release(1);
        assertThat(second).succeedsWithin(WAIT);
    }

    @Test
    void aWriteStopsAtMaxBytesButALargerAppendStillGoesAlone() {
        HeldWriter writer = new HeldWriter();
        GroupCommit<String, LogAppended> commit = new GroupCommit<>("test", 100, 100, 1, writer);

        commit.submit("a", 10, ThreadKey.of("a")).subscribe();
        commit.submit("b", 60, ThreadKey.of("b")).subscribe();
        commit.submit("c", 60, ThreadKey.of("c")).subscribe();
        commit.submit("huge", 500, ThreadKey.of("huge")).subscribe();
        writer.release(0);
        writer.release(1);
        writer.release(2);

        assertThat(writer.groups).containsExactly(List.of("a"), List.of("b"), List.of("c"), List.of("huge"));
    }

    @Test
    void aFailedWriteFailsEveryAppendOfItAndTheNextWriteGoesOn() {
        Sinks.One<Void> hold = Sinks.one();
        List<List<String>> groups = new CopyOnWriteArrayList<>();
        GroupCommit<String, LogAppended> commit = new GroupCommit<>("test", 10, 1 << 20, 1, group -> {
            groups.add(List.copyOf(group));
            return group.contains("a") ? hold.asMono().then(Mono.error(new BackendUnavailableException("connection lost")))
                    : Mono.just(List.<Object>of(new LogAppended(1, 1, false)));
        });

        var a = commit.submit("a", 1, ThreadKey.of("a")).toFuture();
        var b = commit.submit("b", 1, ThreadKey.of("b")).toFuture();
        hold.tryEmitEmpty();

        assertThat(a).failsWithin(WAIT).withThrowableOfType(java.util.concurrent.ExecutionException.class)
                .havingCause().isInstanceOf(BackendUnavailableException.class).withMessage("connection lost");
        assertThat(b).succeedsWithin(WAIT);
        assertThat(groups).containsExactly(List.of("a"), List.of("b"));
    }

    @Test
    void aWriterThatAnswersTooFewOutcomesFailsTheAppendsLeftWithoutOne() {
        GroupCommit<String, LogAppended> commit = new GroupCommit<>("test", 10, 1 << 20, 1, group -> Mono.empty());

        StepVerifier.create(commit.submit("a", 1, ThreadKey.of("a")))
                .expectErrorSatisfies(e -> assertThat(e).isInstanceOf(BackendUnavailableException.class)
                        .hasMessageContaining("gave no outcome").hasMessageContaining("default/a"))
                .verify(WAIT);
    }

    @Test
    void closingAnswersWhatWasTakenAndRefusesWhatComesAfter() {
        HeldWriter writer = new HeldWriter();
        GroupCommit<String, LogAppended> commit = new GroupCommit<>("test", 10, 1 << 20, 1, writer);
        var taken = commit.submit("a", 1, ThreadKey.of("a")).toFuture();

        var closed = commit.close().toFuture();
        assertThat(closed).as("still writing").isNotDone();
        StepVerifier.create(commit.submit("b", 1, ThreadKey.of("b")))
                .expectErrorSatisfies(e -> assertThat(e).isInstanceOf(BackendUnavailableException.class).hasMessageContaining("closed"))
                .verify(WAIT);
        writer.release(0);

        assertThat(taken).succeedsWithin(WAIT);
        assertThat(closed).succeedsWithin(WAIT);
    }
}
