package dev.engram.tck;

import static dev.engram.tck.Kits.MANUAL_CHECKPOINTS;
import static dev.engram.tck.Kits.TIMEOUT;
import static dev.engram.tck.Kits.appendMixed;
import static dev.engram.tck.Kits.log;
import static org.assertj.core.api.Assertions.assertThat;

import dev.engram.core.Engram;
import dev.engram.core.ThreadHandle;
import dev.engram.core.config.EngramConfig;
import dev.engram.core.memory.MemoryItem;
import dev.engram.core.memory.MemoryKey;
import dev.engram.core.memory.MemorySearch;
import dev.engram.core.memory.MemoryStore;
import dev.engram.core.memory.MemoryWrite;
import dev.engram.core.memory.Namespace;
import dev.engram.core.model.AppendBatch;
import dev.engram.core.model.Appended;
import dev.engram.core.model.CheckpointInfo;
import dev.engram.core.model.Event;
import dev.engram.core.model.Page;
import dev.engram.core.model.ThreadInfo;
import dev.engram.core.model.ThreadKey;
import dev.engram.core.model.ThreadQuery;
import dev.engram.core.model.ThreadState;
import dev.engram.core.spi.Capability;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;
import reactor.core.scheduler.Schedulers;
import reactor.test.StepVerifier;

/** For backends that declare {@link Capability#DURABLE}: everything acknowledged before a clean close is there after reopening. */
public interface DurabilityKit extends EngramKit {

    @Test
    default void everythingAcknowledgedSurvivesAReopen(EngramFixture fixture) {
        UnaryOperator<EngramConfig> config = c -> c.withCheckpoints(MANUAL_CHECKPOINTS);
        Engram engram = fixture.open(config);
        String tenant = fixture.newTenant();
        ThreadHandle main = engram.thread(ThreadKey.of(tenant, "main"));
        main.append(AppendBatch.ofChanges(List.of(Kits.mixed(0))).metadata(Map.of("owner", "kit"))).block(TIMEOUT);
        appendMixed(main, 1, 29);
        main.checkpoint().block(TIMEOUT);
        appendMixed(main, 30, 5);
        main.updateMetadata(Map.of("stage", "two"), Set.of()).block(TIMEOUT);
        main.fork(ThreadKey.of(tenant, "fork"), 12).block(TIMEOUT);
        ThreadHandle gone = engram.thread(ThreadKey.of(tenant, "gone"));
        appendMixed(gone, 0, 3);
        gone.delete().block(TIMEOUT);
        List<Appended> concurrent = Flux.range(0, 10)
                .flatMap(i -> engram.thread(ThreadKey.of(tenant, "burst-" + i)).append(AppendBatch.of(Kits.newEvents(3, "burst")))
                        .subscribeOn(Schedulers.parallel()))
                .collectList().block(TIMEOUT);
        assertThat(concurrent).hasSize(10);

        List<Event> mainLog = log(main);
        ThreadState mainState = main.state().block(TIMEOUT);
        ThreadInfo mainInfo = main.info().block(TIMEOUT);
        List<CheckpointInfo> checkpoints = main.checkpoints().collectList().block(TIMEOUT);
        List<Event> forkLog = log(engram.thread(ThreadKey.of(tenant, "fork")));
        Page<ThreadInfo> listing = engram.threads(ThreadQuery.of(tenant)).block(TIMEOUT);

        Engram reopened = fixture.reopen(engram, config);
        ThreadHandle main2 = reopened.thread(main.key());
        assertThat(log(main2)).as("every acknowledged event, with its id, time and payload").isEqualTo(mainLog);
        main2.state().as(StepVerifier::create).expectNext(mainState).as("the same state").verifyComplete();
        main2.info().as(StepVerifier::create).expectNext(mainInfo).as("the same head, metadata and times").verifyComplete();
        main2.checkpoints().collectList().as(StepVerifier::create).expectNext(checkpoints).as("the same checkpoints").verifyComplete();
        assertThat(log(reopened.thread(ThreadKey.of(tenant, "fork")))).as("the fork").isEqualTo(forkLog);
        reopened.thread(ThreadKey.of(tenant, "gone")).info().as(StepVerifier::create).as("the deleted thread stays deleted").verifyComplete();
        reopened.threads(ThreadQuery.of(tenant)).as(StepVerifier::create).expectNext(listing).as("the same listing").verifyComplete();
        List<Long> heads = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            heads.add(reopened.thread(ThreadKey.of(tenant, "burst-" + i)).info().map(ThreadInfo::version).block(TIMEOUT));
        }
        assertThat(heads).as("every concurrently acknowledged append").containsOnly(3L);
        main2.append(Kits.msg("after restart")).map(Appended::firstVersion).as(StepVerifier::create)
                .expectNext((long) mainLog.size() + 1).as("appending continues at the old head + 1").verifyComplete();
    }

    @Test
    default void memoryItemsAndTheirVectorsSurviveAReopen(EngramFixture fixture) {
        UnaryOperator<Engram.Builder> embedded = b -> b.embedder(new WordHashEmbedder(Map.of()));
        Engram engram = fixture.open(UnaryOperator.identity(), embedded);
        String tenant = fixture.newTenant();
        Namespace ns = Namespace.of("user-1", "facts");
        List<MemoryItem> items = MemoryKit.putAll(engram.memories(), List.of(
                MemoryWrite.of(new MemoryKey(tenant, ns, "pet"), Map.of("text", "owns a dog")),
                MemoryWrite.of(new MemoryKey(tenant, ns, "food"), Map.of("text", "likes sushi")).ttl(Duration.ofDays(1)),
                MemoryWrite.of(new MemoryKey(tenant, ns, "gone"), Map.of("text", "deleted"))));
        engram.memories().delete(new MemoryKey(tenant, ns, "gone")).block(TIMEOUT);
        float[] vector = engram.backend().memories().get(items.get(0).key(), Instant.now()).block(TIMEOUT).vector();

        Engram reopened = fixture.reopen(engram, UnaryOperator.identity(), embedded);
        MemoryStore store = reopened.memories();
        store.get(items.get(0).key()).as(StepVerifier::create).expectNext(items.get(0)).verifyComplete();
        store.get(items.get(1).key()).as(StepVerifier::create).expectNext(items.get(1)).as("with its expiry").verifyComplete();
        store.get(items.get(2).key()).as(StepVerifier::create).as("the deleted item stays deleted").verifyComplete();
        assertThat(reopened.backend().memories().get(items.get(0).key(), Instant.now()).block(TIMEOUT).vector())
                .as("the vector").isEqualTo(vector).isNotNull();
        assertThat(MemoryKit.search(store, MemorySearch.under(tenant, ns).query("dog"))).first().isEqualTo("pet");
    }
}
