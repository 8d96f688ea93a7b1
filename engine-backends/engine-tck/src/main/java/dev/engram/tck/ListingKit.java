package dev.engram.tck;

import static dev.engram.tck.Kits.TIMEOUT;
import static dev.engram.tck.Kits.appendMessages;
import static dev.engram.tck.Kits.msg;
import static org.assertj.core.api.Assertions.assertThat;

import dev.engram.core.Engram;
import dev.engram.core.NotFoundException;
import dev.engram.core.ThreadHandle;
import dev.engram.core.model.AppendBatch;
import dev.engram.core.model.Page;
import dev.engram.core.model.ThreadInfo;
import dev.engram.core.model.ThreadKey;
import dev.engram.core.model.ThreadQuery;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import reactor.test.StepVerifier;

/** Thread metadata (on create, updated, in {@code info()}) and listings: per tenant, filtered, ordered, paged. */
public interface ListingKit extends EngramKit {

    /** The listing order: threadId then namespace, by code point (Java's {@code String} order), whatever the backend's collation. */
    Comparator<ThreadKey> ORDER = Comparator.comparing(ThreadKey::threadId).thenComparing(ThreadKey::namespace);

    @Test
    default void metadataIsSetOnCreateAndIgnoredLater(EngramFixture fixture) {
        ThreadHandle t = fixture.newThread(fixture.open());
        t.append(AppendBatch.ofChanges(List.of(msg("hi"))).metadata(Map.of("user", "u-1", "channel", "web"))).block(TIMEOUT);
        t.append(AppendBatch.ofChanges(List.of(msg("again"))).metadata(Map.of("user", "someone else"))).block(TIMEOUT);
        t.info().map(ThreadInfo::metadata).as(StepVerifier::create)
                .expectNext(Map.of("user", "u-1", "channel", "web")).as("the creating append's metadata, untouched by later appends")
                .verifyComplete();
    }

    @Test
    default void updateMetadataSetsAndRemovesEntries(EngramFixture fixture) {
        Engram engram = fixture.open();
        ThreadHandle t = fixture.newThread(engram);
        t.append(AppendBatch.ofChanges(List.of(msg("hi"))).metadata(Map.of("a", "1", "b", "2"))).block(TIMEOUT);
        appendMessages(t, 1);
        t.updateMetadata(Map.of("b", "20", "c", "3"), Set.of("a", "absent")).as(StepVerifier::create)
                .assertNext(i -> {
                    assertThat(i.metadata()).isEqualTo(Map.of("b", "20", "c", "3"));
                    assertThat(i.version()).as("metadata is not an event").isEqualTo(2);
                }).as("set replaces and adds, remove drops (absent keys ignored)")
                .verifyComplete();
        t.info().map(ThreadInfo::metadata).as(StepVerifier::create)
                .expectNext(Map.of("b", "20", "c", "3")).as("info() reads it back").verifyComplete();
        fixture.newThread(engram).updateMetadata(Map.of("x", "y"), Set.of()).as(StepVerifier::create)
                .as("an absent thread").verifyError(NotFoundException.class);
    }

    @Test
    default void listingIsPerTenantOrderedAndFiltered(EngramFixture fixture) {
        Engram engram = fixture.open();
        String tenant = fixture.newTenant();
        String other = fixture.newTenant();
        List<ThreadKey> keys = new ArrayList<>();
        for (String id : List.of("b", "a", "B", "a-1", "a.1", "a:1", "a_1", "a@1", "Z9", "0")) {
            keys.add(ThreadKey.of(tenant, id));
        }
        keys.add(ThreadKey.of(tenant, "a").withNamespace("sub"));
        keys.add(ThreadKey.of(tenant, "a").withNamespace("Sub"));
        for (ThreadKey k : keys) {
            String parity = (k.threadId().length() + k.namespace().length()) % 2 == 0 ? "even" : "odd";
            engram.thread(k).append(AppendBatch.ofChanges(List.of(msg("hi"))).metadata(Map.of("parity", parity, "kit", "yes"))).block(TIMEOUT);
        }
        engram.thread(ThreadKey.of(other, "a")).append(AppendBatch.ofChanges(List.of(msg("elsewhere"))).metadata(Map.of("kit", "yes")))
                .block(TIMEOUT);

        List<ThreadKey> sorted = keys.stream().sorted(ORDER).toList();
        engram.threads(ThreadQuery.of(tenant)).as(StepVerifier::create)
                .assertNext(p -> {
                    assertThat(p.items()).extracting(ThreadInfo::key).containsExactlyElementsOf(sorted);
                    assertThat(p.next()).isNull();
                }).as("every thread of the tenant, by threadId then namespace in code point order, and no other tenant's")
                .verifyComplete();
        engram.threads(ThreadQuery.of(tenant).withMetadata("parity", "odd").withMetadata("kit", "yes")).as(StepVerifier::create)
                .assertNext(p -> assertThat(p.items()).extracting(ThreadInfo::key).containsExactlyElementsOf(
                        sorted.stream().filter(k -> (k.threadId().length() + k.namespace().length()) % 2 == 1).toList()))
                .as("filtered by every metadata entry")
                .verifyComplete();
        engram.threads(ThreadQuery.of(tenant).withMetadata("parity", "none")).map(Page::items).as(StepVerifier::create)
                .expectNext(List.of()).as("a filter nothing matches").verifyComplete();
        engram.threads(ThreadQuery.of(fixture.newTenant())).as(StepVerifier::create)
                .expectNext(new Page<>(List.of(), null)).as("an empty tenant").verifyComplete();
    }

    @Test
    default void pagesFollowTheCursorWithoutGapsOrRepeats(EngramFixture fixture) {
        Engram engram = fixture.open();
        String tenant = fixture.newTenant();
        List<ThreadKey> keys = new ArrayList<>();
        for (int i = 0; i < 23; i++) {
            keys.add(ThreadKey.of(tenant, "thread-" + (char) ('a' + (i * 7) % 23)).withNamespace(i % 3 == 0 ? "ns" : ""));
        }
        keys = keys.stream().distinct().toList();
        for (ThreadKey k : keys) {
            engram.thread(k).append(msg("hi")).block(TIMEOUT);
        }
        List<ThreadKey> seen = new ArrayList<>();
        String cursor = null;
        int pages = 0;
        do {
            Page<ThreadInfo> page = engram.threads(ThreadQuery.of(tenant).limit(5).after(cursor)).block(TIMEOUT);
            assertThat(page.items()).as("a page holds at most the limit").hasSizeLessThanOrEqualTo(5);
            if (page.next() != null) {
                assertThat(page.items()).as("a page with a cursor is full").hasSize(5);
            }
            page.items().forEach(i -> seen.add(i.key()));
            cursor = page.next();
            pages++;
        } while (cursor != null && pages < 100);
        assertThat(seen).as("pages of 5 walk every thread once, in order").containsExactlyElementsOf(keys.stream().sorted(ORDER).toList());

        Page<ThreadInfo> exact = engram.threads(ThreadQuery.of(tenant).limit(keys.size())).block(TIMEOUT);
        assertThat(exact.next()).as("a page that ends exactly at the last thread has no cursor").isNull();
    }

    @Test
    default void listingFollowsMetadataUpdates(EngramFixture fixture) {
        Engram engram = fixture.open();
        String tenant = fixture.newTenant();
        ThreadHandle t = engram.thread(ThreadKey.of(tenant, "x"));
        t.append(AppendBatch.ofChanges(List.of(msg("hi"))).metadata(Map.of("state", "open"))).block(TIMEOUT);
        t.updateMetadata(Map.of("state", "closed"), Set.of()).block(TIMEOUT);
        engram.threads(ThreadQuery.of(tenant).withMetadata("state", "open")).map(Page::items).as(StepVerifier::create)
                .expectNext(List.of()).as("the old value no longer matches").verifyComplete();
        engram.threads(ThreadQuery.of(tenant).withMetadata("state", "closed")).map(p -> p.items().size()).as(StepVerifier::create)
                .expectNext(1).as("the new value does").verifyComplete();
    }
}
