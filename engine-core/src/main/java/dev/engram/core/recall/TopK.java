package dev.engram.core.recall;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.PriorityQueue;

/** The best {@code k} of many offered elements, kept in a heap of size k rather than sorting them all. */
final class TopK<T> {

    private final int k;
    private final Comparator<? super T> bestFirst;
    private final PriorityQueue<T> heap;

    TopK(int k, Comparator<? super T> bestFirst) {
        this.k = k;
        this.bestFirst = bestFirst;
        this.heap = new PriorityQueue<>(Math.max(1, Math.min(k, 1024)) + 1, bestFirst.reversed());
    }

    void offer(T element) {
        if (k <= 0) {
            return;
        }
        if (heap.size() < k) {
            heap.add(element);
        } else if (bestFirst.compare(element, heap.peek()) < 0) {
            heap.poll();
            heap.add(element);
        }
    }

    /** The kept elements, best first. */
    List<T> best() {
        List<T> out = new ArrayList<>(heap);
        out.sort(bestFirst);
        return out;
    }
}
