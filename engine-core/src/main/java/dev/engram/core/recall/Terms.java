package dev.engram.core.recall;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The words of one item's text with their counts, in a small open-addressing table: compact enough to keep beside
 * every record a backend holds in memory (so an item is tokenised once rather than on every search), and looked up
 * with one hash probe, since a search looks up every query word in every candidate.
 */
final class Terms {

    static final Terms NONE = new Terms(new String[1], new int[1], 0);

    private final String[] table;
    private final int[] counts;
    private final int length;

    private Terms(String[] table, int[] counts, int length) {
        this.table = table;
        this.counts = counts;
        this.length = length;
    }

    static Terms of(List<String> texts) {
        Map<String, Integer> counted = new HashMap<>();
        int length = 0;
        for (String text : texts) {
            for (String word : Tokens.of(text)) {
                counted.merge(word, 1, Integer::sum);
                length++;
            }
        }
        if (length == 0) {
            return NONE;
        }
        // at most half full, so a miss ends at an empty slot quickly
        int size = Integer.highestOneBit(counted.size() * 2 - 1) << 1;
        String[] table = new String[size];
        int[] counts = new int[size];
        for (Map.Entry<String, Integer> e : counted.entrySet()) {
            int i = slot(e.getKey(), size - 1);
            while (table[i] != null) {
                i = (i + 1) & (size - 1);
            }
            table[i] = e.getKey();
            counts[i] = e.getValue();
        }
        return new Terms(table, counts, length);
    }

    /** How often {@code word} occurs. */
    int count(String word) {
        int mask = table.length - 1;
        for (int i = slot(word, mask); ; i = (i + 1) & mask) {
            String w = table[i];
            if (w == null) {
                return 0;
            }
            if (w.equals(word)) {
                return counts[i];
            }
        }
    }

    /** The number of words in the text (with repeats). */
    int length() {
        return length;
    }

    private static int slot(String word, int mask) {
        int h = word.hashCode() * 0x9E3779B9;
        return (h ^ (h >>> 16)) & mask;
    }
}
