package dev.engram.core.recall;

import java.util.Arrays;
import java.util.List;
import java.util.TreeMap;

/**
 * The words of one item's text with their counts, sorted for binary search: compact enough to keep beside every record
 * a backend holds in memory, so an item is tokenised once rather than on every search.
 */
final class Terms {

    static final Terms NONE = new Terms(new String[0], new int[0], 0);

    private final String[] words;
    private final int[] counts;
    private final int length;

    private Terms(String[] words, int[] counts, int length) {
        this.words = words;
        this.counts = counts;
        this.length = length;
    }

    static Terms of(List<String> texts) {
        TreeMap<String, Integer> counted = new TreeMap<>();
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
        String[] words = new String[counted.size()];
        int[] counts = new int[counted.size()];
        int i = 0;
        for (var e : counted.entrySet()) {
            words[i] = e.getKey();
            counts[i++] = e.getValue();
        }
        return new Terms(words, counts, length);
    }

    /** How often {@code word} occurs. */
    int count(String word) {
        int i = Arrays.binarySearch(words, word);
        return i < 0 ? 0 : counts[i];
    }

    /** The number of words in the text (with repeats). */
    int length() {
        return length;
    }
}
