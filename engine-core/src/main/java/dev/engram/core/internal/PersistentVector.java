package dev.engram.core.internal;

import java.util.AbstractList;
import java.util.Arrays;
import java.util.RandomAccess;

/**
 * An immutable, structurally shared list: a 32-way trie plus a tail array. {@link #plus} copies at most
 * one 32-slot tail and, every 32 appends, one path of the trie (depth ≤ 4 up to a million entries), so
 * appending to a 10,000-element vector costs about what appending to a 10-element one does.
 */
public final class PersistentVector<E> extends AbstractList<E> implements RandomAccess {

    private static final int BITS = 5;
    private static final int WIDTH = 1 << BITS;
    private static final int MASK = WIDTH - 1;
    private static final Object[] EMPTY_NODE = new Object[0];
    private static final PersistentVector<?> EMPTY = new PersistentVector<>(0, BITS, EMPTY_NODE, new Object[0]);

    private final int size;
    private final int shift;
    private final Object[] root;
    private final Object[] tail;

    private PersistentVector(int size, int shift, Object[] root, Object[] tail) {
        this.size = size;
        this.shift = shift;
        this.root = root;
        this.tail = tail;
    }

    @SuppressWarnings("unchecked")
    public static <E> PersistentVector<E> empty() {
        return (PersistentVector<E>) EMPTY;
    }

    @Override
    public int size() {
        return size;
    }

    private int tailOffset() {
        return size < WIDTH ? 0 : ((size - 1) >>> BITS) << BITS;
    }

    @Override
    @SuppressWarnings("unchecked")
    public E get(int index) {
        if (index < 0 || index >= size) {
            throw new IndexOutOfBoundsException("index " + index + ", size " + size);
        }
        if (index >= tailOffset()) {
            return (E) tail[index & MASK];
        }
        Object[] node = root;
        for (int level = shift; level > 0; level -= BITS) {
            node = (Object[]) node[(index >>> level) & MASK];
        }
        return (E) node[index & MASK];
    }

    /** Returns a vector with {@code element} appended; this one is unchanged. */
    public PersistentVector<E> plus(E element) {
        if (size - tailOffset() < WIDTH) {
            Object[] newTail = Arrays.copyOf(tail, tail.length + 1);
            newTail[tail.length] = element;
            return new PersistentVector<>(size + 1, shift, root, newTail);
        }
        Object[] newRoot;
        int newShift = shift;
        if ((size >>> BITS) > (1 << shift)) {
            newRoot = new Object[] {root, newPath(shift, tail)};
            newShift += BITS;
        } else {
            newRoot = pushTail(shift, root, tail);
        }
        return new PersistentVector<>(size + 1, newShift, newRoot, new Object[] {element});
    }

    private Object[] pushTail(int level, Object[] parent, Object[] tailNode) {
        int subIndex = ((size - 1) >>> level) & MASK;
        Object[] result = Arrays.copyOf(parent, Math.max(parent.length, subIndex + 1));
        Object[] toInsert;
        if (level == BITS) {
            toInsert = tailNode;
        } else {
            Object[] child = subIndex < parent.length ? (Object[]) parent[subIndex] : null;
            toInsert = child != null ? pushTail(level - BITS, child, tailNode) : newPath(level - BITS, tailNode);
        }
        result[subIndex] = toInsert;
        return result;
    }

    private static Object[] newPath(int level, Object[] node) {
        return level == 0 ? node : new Object[] {newPath(level - BITS, node)};
    }

    /** Builds a vector from the elements in order, in O(n). */
    public static <E> PersistentVector<E> of(Iterable<? extends E> elements) {
        PersistentVector<E> v = empty();
        for (E e : elements) {
            v = v.plus(e);
        }
        return v;
    }
}
