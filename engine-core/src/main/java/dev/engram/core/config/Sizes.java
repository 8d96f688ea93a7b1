package dev.engram.core.config;

import java.time.Duration;
import java.util.Locale;

/** Parses human-friendly sizes ({@code 1MiB}, {@code 512KiB}, {@code 1048576}) and durations ({@code 250ms}, {@code 5s}, {@code 7d}, {@code PT5S}). */
public final class Sizes {

    private Sizes() {
    }

    public static long parseBytes(String raw) {
        String s = raw.trim().toLowerCase(Locale.ROOT).replace("_", "");
        long factor = 1;
        String[][] units = {{"gib", "1073741824"}, {"mib", "1048576"}, {"kib", "1024"}, {"gb", "1000000000"}, {"mb", "1000000"},
                {"kb", "1000"}, {"g", "1073741824"}, {"m", "1048576"}, {"k", "1024"}, {"b", "1"}};
        for (String[] u : units) {
            if (s.endsWith(u[0])) {
                factor = Long.parseLong(u[1]);
                s = s.substring(0, s.length() - u[0].length()).trim();
                break;
            }
        }
        long n = Long.parseLong(s);
        if (n < 0) {
            throw new IllegalArgumentException("size must not be negative");
        }
        return Math.multiplyExact(n, factor);
    }

    public static Duration parseDuration(String raw) {
        String s = raw.trim();
        if (s.startsWith("P") || s.startsWith("p")) {
            return Duration.parse(s.toUpperCase(Locale.ROOT));
        }
        String lower = s.toLowerCase(Locale.ROOT);
        String[][] units = {{"ms", "MILLIS"}, {"s", "SECONDS"}, {"m", "MINUTES"}, {"h", "HOURS"}, {"d", "DAYS"}};
        for (String[] u : units) {
            if (lower.endsWith(u[0])) {
                long n = Long.parseLong(lower.substring(0, lower.length() - u[0].length()).trim());
                return Duration.of(n, java.time.temporal.ChronoUnit.valueOf(u[1]));
            }
        }
        return Duration.ofMillis(Long.parseLong(lower));
    }
}
