package dev.engram.tck;

import static dev.engram.tck.Kits.TIMEOUT;
import static dev.engram.tck.Kits.appendMessages;
import static dev.engram.tck.Kits.fold;
import static dev.engram.tck.Kits.log;
import static dev.engram.tck.Kits.msg;
import static org.assertj.core.api.Assertions.assertThat;

import dev.engram.core.Engram;
import dev.engram.core.ThreadHandle;
import dev.engram.core.VersionConflictException;
import dev.engram.core.memory.MemoryItem;
import dev.engram.core.memory.MemoryKey;
import dev.engram.core.memory.MemorySearch;
import dev.engram.core.memory.MemoryStore;
import dev.engram.core.memory.MemoryWrite;
import dev.engram.core.memory.Namespace;
import dev.engram.core.memory.NamespaceQuery;
import dev.engram.core.model.Appended;
import dev.engram.core.model.ExpectedVersion;
import dev.engram.core.model.ThreadKey;
import dev.engram.core.spi.Capability;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Signal;
import reactor.core.scheduler.Schedulers;
import reactor.test.StepVerifier;

/**
 * For backends that declare {@link Capability#SHARED_STORAGE}: two engines on the same storage, as two servers would
 * be. Neither one's cache hides the other's writes, and each one's watch sees the other's appends.
 */
public interface SharedStorageKit extends EngramKit {

    @Test
    default void anotherEnginesWriteIsSeenByState(EngramFixture fixture) {
        Engram a = fixture.open();
        Engram b = fixture.open();
        ThreadKey key = fixture.newKey();
        appendMessages(a.thread(key), 3);
        a.thread(key).state().block(TIMEOUT);
        appendMessages(b.thread(key), 2);
        a.thread(key).state().as(StepVerifier::create)
                .expectNext(fold(key, log(b.thread(key)))).as("A's cached state is not served once B has appended")
                .verifyComplete();
        assertThat(a.thread(key).state().block(TIMEOUT).version()).isEqualTo(5);
    }

    @Test
    default void anotherEnginesDeleteIsSeen(EngramFixture fixture) {
        Engram a = fixture.open();
        Engram b = fixture.open();
        ThreadKey key = fixture.newKey();
        appendMessages(a.thread(key), 4);
        a.thread(key).state().block(TIMEOUT);
        b.thread(key).delete().block(TIMEOUT);
        a.thread(key).state().as(StepVerifier::create).as("A does not serve a thread B deleted").verifyComplete();
        b.thread(key).append(msg("new life")).block(TIMEOUT);
        a.thread(key).state().map(Kits::contents).as(StepVerifier::create)
                .expectNext(List.of("new life")).as("nor the old life once B re-creates it").verifyComplete();
    }

    @Test
    default void anotherEnginesAppendIsWatched(EngramFixture fixture) {
        Engram a = fixture.open();
        Engram b = fixture.open();
        ThreadKey key = fixture.newKey();
        appendMessages(a.thread(key), 2);
        WatchKit.versionsOf(a.thread(key).watch(1)).as(StepVerifier::create)
                .expectNext(1L, 2L)
                .then(() -> appendMessages(b.thread(key), 3))
                .expectNext(3L, 4L, 5L).as("A's watch delivers B's appends")
                .thenCancel()
                .verify(TIMEOUT);
    }

    @Test
    default void writersInTwoEnginesRaceFairly(EngramFixture fixture) {
        List<Engram> engines = List.of(fixture.open(), fixture.open());
        ThreadKey key = fixture.newKey();
        for (int round = 0; round < 20; round++) {
            long head = round;
            List<Signal<Appended>> outcomes = Flux.range(0, 8)
                    .flatMap(w -> engines.get(w % 2).thread(key).append(Kits.one("r" + head + " w" + w), ExpectedVersion.exactly(head))
                            .materialize().subscribeOn(Schedulers.parallel()))
                    .collectList().block(TIMEOUT);
            assertThat(outcomes).filteredOn(Signal::isOnNext).as("round %d: one winner across both engines", round).hasSize(1);
            assertThat(outcomes).filteredOn(Signal::isOnError).as("round %d: seven conflicts", round).hasSize(7)
                    .allSatisfy(s -> assertThat(s.getThrowable()).isInstanceOf(VersionConflictException.class));
        }
        assertThat(log(engines.get(0).thread(key))).as("both engines read the same log").isEqualTo(log(engines.get(1).thread(key)))
                .hasSize(20);
    }

    @Test
    default void anotherEnginesMemoriesAreSeen(EngramFixture fixture) {
        MemoryStore a = fixture.open().memories();
        MemoryStore b = fixture.open().memories();
        String tenant = fixture.newTenant();
        Namespace ns = Namespace.of("user-1", "facts");
        MemoryKey key = new MemoryKey(tenant, ns, "city");
        MemoryItem first = a.put(MemoryWrite.of(key, Map.of("text", "lives in Lyon"))).block(TIMEOUT);
        b.get(key).as(StepVerifier::create).expectNext(first).as("B reads what A put").verifyComplete();
        assertThat(MemoryKit.search(b, MemorySearch.under(tenant, ns).query("Lyon"))).as("and finds it").containsExactly("city");

        MemoryItem second = b.put(MemoryWrite.of(key, Map.of("text", "lives in Paris"))).block(TIMEOUT);
        assertThat(second.createdAt()).as("B's upsert keeps A's creation time").isEqualTo(first.createdAt());
        a.search(MemorySearch.under(tenant, ns).query("Paris")).map(MemoryKit::keys).as(StepVerifier::create)
                .expectNext(List.of("city")).as("A searches B's value, not a cached one").verifyComplete();
        a.delete(key).as(StepVerifier::create).expectNext(true).verifyComplete();
        b.get(key).as(StepVerifier::create).as("B sees A's delete").verifyComplete();
        b.namespaces(NamespaceQuery.of(tenant)).as(StepVerifier::create).expectNext(List.of()).verifyComplete();
    }
}
