package dev.engram.core.extraction;

import dev.engram.core.memory.FactDecision;
import dev.engram.core.memory.MemoryItem;
import dev.engram.core.memory.MemoryKey;
import dev.engram.core.memory.MemoryStore;
import dev.engram.core.memory.MemoryWrite;
import dev.engram.core.memory.Namespace;
import dev.engram.core.memory.Provenance;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.atomic.LongAdder;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Applies an extractor's decisions to a user's facts, in order. Every step is idempotent (a put or a delete by key,
 * provenance widened to a range it already covers), so decisions applied again after a crash change nothing — which
 * is what lets the mark move only after they are applied.
 */
final class FactWriter {

    private final MemoryStore store;
    final LongAdder added = new LongAdder();
    final LongAdder updated = new LongAdder();
    final LongAdder deleted = new LongAdder();

    FactWriter(MemoryStore store) {
        this.store = store;
    }

    /** Applies {@code decisions} to the facts in {@code namespace} of {@code tenant}; new and changed facts get {@code provenance}. */
    Mono<Void> apply(List<FactDecision> decisions, String tenant, Namespace namespace, Provenance provenance) {
        return Flux.fromIterable(decisions).concatMap(d -> {
            MemoryKey key = new MemoryKey(tenant, namespace, d.key());
            if (d instanceof FactDecision.Delete) {
                return store.delete(key).doOnNext(existed -> {
                    if (existed) {
                        deleted.increment();
                    }
                }).then();
            }
            Map<String, Object> value = d instanceof FactDecision.Add a ? a.value() : ((FactDecision.Update) d).value();
            return put(key, value, provenance);
        }).then();
    }

    /** An add of a known key is an update: one subject, one fact. The provenance of a known fact is extended, not replaced. */
    private Mono<Void> put(MemoryKey key, Map<String, Object> value, Provenance provenance) {
        return store.get(key).map(Optional::of).defaultIfEmpty(Optional.empty()).flatMap(old -> {
            Provenance p = old.map(MemoryItem::provenance).map(known -> known.extendedBy(provenance)).orElse(provenance);
            if (old.isPresent() && MemoryItem.FACT.equals(old.get().kind()) && old.get().value().equals(value)
                    && Objects.equals(old.get().provenance(), p)) {
                return Mono.empty();
            }
            return store.put(new MemoryWrite(key, value, MemoryItem.FACT, null, p))
                    .doOnNext(stored -> (old.isPresent() ? updated : added).increment())
                    .then();
        });
    }
}
