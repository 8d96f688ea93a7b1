package dev.engram.core.recall;

import java.util.List;

/**
 * Okapi BM25 over a set of candidate items: {@code idf(t) * tf * (k1 + 1) / (tf + k1 * (1 - b + b * len / avgLen))}
 * summed over the query's distinct words, with {@code idf(t) = ln(1 + (N - df + 0.5) / (df + 0.5))}. Document
 * frequencies and the average length are those of the candidates (the items under the prefix that pass the filter),
 * so scores are comparable within one search only.
 */
final class Bm25 {

    static final double K1 = 1.2;
    static final double B = 0.75;

    private final List<String> words;
    private final double[] idf;
    private final double avgLength;

    private Bm25(List<String> words, double[] idf, double avgLength) {
        this.words = words;
        this.idf = idf;
        this.avgLength = avgLength;
    }

    /** Statistics of {@code candidates} for the query's distinct {@code words}. */
    static Bm25 over(List<String> words, List<Terms> candidates) {
        int n = candidates.size();
        int[] df = new int[words.size()];
        long total = 0;
        for (Terms t : candidates) {
            total += t.length();
            for (int i = 0; i < df.length; i++) {
                if (t.count(words.get(i)) > 0) {
                    df[i]++;
                }
            }
        }
        double[] idf = new double[df.length];
        for (int i = 0; i < df.length; i++) {
            idf[i] = Math.log(1 + (n - df[i] + 0.5) / (df[i] + 0.5));
        }
        double avg = n == 0 || total == 0 ? 1 : (double) total / n;
        return new Bm25(words, idf, avg);
    }

    /** The score of every candidate, looking each query word up once per candidate. */
    static double[] scores(List<String> words, List<Terms> candidates) {
        int n = candidates.size();
        int q = words.size();
        int[] tf = new int[n * q];
        int[] df = new int[q];
        long total = 0;
        for (int d = 0; d < n; d++) {
            Terms t = candidates.get(d);
            total += t.length();
            for (int i = 0; i < q; i++) {
                int c = t.count(words.get(i));
                tf[d * q + i] = c;
                if (c > 0) {
                    df[i]++;
                }
            }
        }
        double[] idf = new double[q];
        for (int i = 0; i < q; i++) {
            idf[i] = Math.log(1 + (n - df[i] + 0.5) / (df[i] + 0.5));
        }
        double avg = n == 0 || total == 0 ? 1 : (double) total / n;
        double[] scores = new double[n];
        for (int d = 0; d < n; d++) {
            double norm = K1 * (1 - B + B * candidates.get(d).length() / avg);
            double score = 0;
            for (int i = 0; i < q; i++) {
                int c = tf[d * q + i];
                if (c > 0) {
                    score += idf[i] * c * (K1 + 1) / (c + norm);
                }
            }
            scores[d] = score;
        }
        return scores;
    }

    /** The item's score; 0 when it holds none of the query's words. */
    double score(Terms t) {
        double score = 0;
        double norm = K1 * (1 - B + B * t.length() / avgLength);
        for (int i = 0; i < idf.length; i++) {
            int tf = t.count(words.get(i));
            if (tf > 0) {
                score += idf[i] * tf * (K1 + 1) / (tf + norm);
            }
        }
        return score;
    }
}
