package dev.engram.core.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class PersistentVectorTest {

    @Test
    void holdsWhatAnArrayListHoldsAcrossTrieLevels() {
        PersistentVector<Integer> v = PersistentVector.empty();
        List<Integer> expected = new ArrayList<>();
        // 40,000 crosses the 32, 1,024 and 32,768 boundaries, so the root is split three times
        for (int i = 0; i < 40_000; i++) {
            v = v.plus(i * 7);
            expected.add(i * 7);
            if (i % 997 == 0 || i < 70) {
                assertThat(v).as("after %d appends", i + 1).hasSize(i + 1);
                assertThat(v.get(i)).isEqualTo(i * 7);
                assertThat(v.get(i / 2)).isEqualTo((i / 2) * 7);
            }
        }
        assertThat(v).containsExactlyElementsOf(expected);
    }

    @Test
    void appendingLeavesTheOriginalUnchanged() {
        PersistentVector<String> base = PersistentVector.of(List.of("a", "b", "c"));
        PersistentVector<String> left = base.plus("left");
        PersistentVector<String> right = base.plus("right");
        assertThat(base).containsExactly("a", "b", "c");
        assertThat(left).containsExactly("a", "b", "c", "left");
        assertThat(right).containsExactly("a", "b", "c", "right");
    }

    @Test
    void branchesOfALargeVectorStayIndependent() {
        PersistentVector<Integer> base = PersistentVector.empty();
        for (int i = 0; i < 1_100; i++) {
            base = base.plus(i);
        }
        PersistentVector<Integer> a = base;
        PersistentVector<Integer> b = base;
        for (int i = 0; i < 100; i++) {
            a = a.plus(-i);
            b = b.plus(i + 10_000);
        }
        assertThat(base).hasSize(1_100);
        assertThat(a.get(1_150)).isEqualTo(-50);
        assertThat(b.get(1_150)).isEqualTo(10_050);
        assertThat(a.subList(0, 1_100)).isEqualTo(b.subList(0, 1_100));
    }

    @Test
    void rejectsIndexesOutOfRange() {
        PersistentVector<String> v = PersistentVector.of(List.of("x"));
        assertThatThrownBy(() -> v.get(1)).isInstanceOf(IndexOutOfBoundsException.class);
        assertThatThrownBy(() -> v.get(-1)).isInstanceOf(IndexOutOfBoundsException.class);
    }
}
