package dev.engram.core.recall;

import dev.engram.core.InvalidInputException;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * A search's conditions on value fields, parsed once before any I/O. {@code {"f": v}} is equality;
 * {@code {"f": {"$gt": 3, "$lte": 9}}} holds when every operator does. A dotted name reaches into nested objects; a
 * missing field is null. Numbers compare by value whatever their type (Long, Double, BigInteger, BigDecimal; a double
 * as the shortest decimal that denotes it, so {@code 9.99} equals {@code BigDecimal("9.990")}), strings
 * by code point; an ordering operator between a number and a string (or anything else) does not hold.
 */
final class MemoryFilter {

    static final MemoryFilter NONE = new MemoryFilter(List.of());

    private final List<Condition> conditions;

    private MemoryFilter(List<Condition> conditions) {
        this.conditions = conditions;
    }

    /** Parses a normalised filter; an unknown operator or an operand it cannot compare is an {@link InvalidInputException}. */
    static MemoryFilter parse(Map<String, Object> filter) {
        if (filter.isEmpty()) {
            return NONE;
        }
        List<Condition> out = new ArrayList<>();
        for (Map.Entry<String, Object> e : filter.entrySet()) {
            String where = "filter." + e.getKey();
            FieldPath path = FieldPath.parse(e.getKey(), "filter");
            if (e.getValue() instanceof Map<?, ?> m && isOperators(m, where)) {
                for (Map.Entry<?, ?> op : m.entrySet()) {
                    out.add(condition(path, (String) op.getKey(), op.getValue(), where));
                }
            } else {
                out.add(new Condition(path, Op.EQ, e.getValue()));
            }
        }
        return new MemoryFilter(List.copyOf(out));
    }

    /** Whether a map is a set of operators (every key starts with '$') rather than an object to compare with. */
    private static boolean isOperators(Map<?, ?> m, String where) {
        int ops = 0;
        for (Object k : m.keySet()) {
            if (((String) k).startsWith("$")) {
                ops++;
            }
        }
        if (ops > 0 && ops < m.size()) {
            throw new InvalidInputException(where + " mixes operators ($...) and fields; write one or the other");
        }
        return ops > 0;
    }

    private static Condition condition(FieldPath path, String operator, @Nullable Object operand, String where) {
        Op op = switch (operator) {
            case "$eq" -> Op.EQ;
            case "$ne" -> Op.NE;
            case "$gt" -> Op.GT;
            case "$gte" -> Op.GTE;
            case "$lt" -> Op.LT;
            case "$lte" -> Op.LTE;
            default -> throw new InvalidInputException("unknown filter operator '" + operator + "' in " + where
                    + "; known: $eq, $ne, $gt, $gte, $lt, $lte");
        };
        if (op.ordering && !(operand instanceof Number || operand instanceof String)) {
            throw new InvalidInputException(where + "." + operator + " needs a number or a string, got "
                    + (operand == null ? "null" : operand.getClass().getSimpleName()));
        }
        return new Condition(path, op, operand);
    }

    boolean isEmpty() {
        return conditions.isEmpty();
    }

    /** Whether every condition holds for {@code value}. */
    boolean test(Map<String, Object> value) {
        for (Condition c : conditions) {
            if (!c.test(value)) {
                return false;
            }
        }
        return true;
    }

    private enum Op {
        EQ(false), NE(false), GT(true), GTE(true), LT(true), LTE(true);

        final boolean ordering;

        Op(boolean ordering) {
            this.ordering = ordering;
        }
    }

    private record Condition(FieldPath path, Op op, @Nullable Object operand) {

        boolean test(Map<String, Object> value) {
            Object actual = path.lookup(value);
            return switch (op) {
                case EQ -> same(actual, operand);
                case NE -> !same(actual, operand);
                case GT -> compare(actual, operand) > 0;
                case GTE -> { int c = compare(actual, operand); yield c >= 0 && c != INCOMPARABLE; }
                case LT -> { int c = compare(actual, operand); yield c < 0 && c != INCOMPARABLE; }
                case LTE -> { int c = compare(actual, operand); yield c <= 0 && c != INCOMPARABLE; }
            };
        }
    }

    private static final int INCOMPARABLE = Integer.MIN_VALUE;

    /** Negative, zero or positive; {@link #INCOMPARABLE} unless both are numbers or both strings. */
    static int compare(@Nullable Object a, @Nullable Object b) {
        if (a instanceof Number x && b instanceof Number y) {
            int c = compareNumbers(x, y);
            return c == INCOMPARABLE ? INCOMPARABLE : Integer.signum(c);
        }
        if (a instanceof String x && b instanceof String y) {
            return Integer.signum(x.compareTo(y));
        }
        return INCOMPARABLE;
    }

    /** JSON equality: numbers by value, lists and objects element by element, the rest by {@code equals}. */
    static boolean same(@Nullable Object a, @Nullable Object b) {
        if (a instanceof Number x && b instanceof Number y) {
            return compareNumbers(x, y) == 0;
        }
        if (a instanceof List<?> x && b instanceof List<?> y) {
            if (x.size() != y.size()) {
                return false;
            }
            Iterator<?> i = x.iterator();
            Iterator<?> j = y.iterator();
            while (i.hasNext()) {
                if (!same(i.next(), j.next())) {
                    return false;
                }
            }
            return true;
        }
        if (a instanceof Map<?, ?> x && b instanceof Map<?, ?> y) {
            if (x.size() != y.size()) {
                return false;
            }
            for (Map.Entry<?, ?> e : x.entrySet()) {
                if (!y.containsKey(e.getKey()) || !same(e.getValue(), y.get(e.getKey()))) {
                    return false;
                }
            }
            return true;
        }
        return Objects.equals(a, b);
    }

    private static int compareNumbers(Number x, Number y) {
        if (x instanceof Long a && y instanceof Long b) {
            return Long.compare(a, b);
        }
        if (x instanceof Double a && y instanceof Double b) {
            return a.isNaN() || b.isNaN() ? INCOMPARABLE : Double.compare(a, b);
        }
        if (isNonFinite(x) || isNonFinite(y)) {
            double a = x.doubleValue();
            double b = y.doubleValue();
            return Double.isNaN(a) || Double.isNaN(b) ? INCOMPARABLE : Double.compare(a, b);
        }
        return decimal(x).compareTo(decimal(y));
    }

    private static boolean isNonFinite(Number n) {
        return (n instanceof Double d && !Double.isFinite(d)) || (n instanceof Float f && !Float.isFinite(f));
    }

    private static BigDecimal decimal(Number n) {
        if (n instanceof BigDecimal d) {
            return d;
        }
        if (n instanceof BigInteger i) {
            return new BigDecimal(i);
        }
        if (n instanceof Double || n instanceof Float) {
            // the shortest decimal that reads back as this double: 9.99 means 9.99, as the user wrote it
            return BigDecimal.valueOf(n.doubleValue());
        }
        return BigDecimal.valueOf(n.longValue());
    }
}
