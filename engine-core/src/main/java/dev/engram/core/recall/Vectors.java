package dev.engram.core.recall;

import dev.engram.core.ConfigurationException;

/** Unit vectors, so that cosine similarity is a dot product. */
final class Vectors {

    private Vectors() {
    }

    /** A unit-length copy of {@code v}; an empty, zero or non-finite vector is the embedder's fault and is refused. */
    static float[] unit(float[] v, String from) {
        double sum = 0;
        for (float x : v) {
            if (!Float.isFinite(x)) {
                throw new ConfigurationException("the embedder " + from + " returned a vector with a non-finite component");
            }
            sum += (double) x * x;
        }
        if (v.length == 0 || sum == 0) {
            throw new ConfigurationException("the embedder " + from + " returned an empty or zero vector");
        }
        double inv = 1 / Math.sqrt(sum);
        float[] out = new float[v.length];
        for (int i = 0; i < v.length; i++) {
            out[i] = (float) (v[i] * inv);
        }
        return out;
    }

    /** The dot product; 0 when the dimensions differ (a vector from another model cannot be compared). */
    static double dot(float[] a, float[] b) {
        if (a.length != b.length) {
            return 0;
        }
        // four independent sums let the CPU overlap the multiply-adds
        float s0 = 0;
        float s1 = 0;
        float s2 = 0;
        float s3 = 0;
        int n = a.length;
        int i = 0;
        for (; i + 3 < n; i += 4) {
            s0 += a[i] * b[i];
            s1 += a[i + 1] * b[i + 1];
            s2 += a[i + 2] * b[i + 2];
            s3 += a[i + 3] * b[i + 3];
        }
        for (; i < n; i++) {
            s0 += a[i] * b[i];
        }
        return (double) s0 + s1 + s2 + s3;
    }
}
