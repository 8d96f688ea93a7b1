package dev.engram.core.recall;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.engram.core.InvalidInputException;
import dev.engram.core.internal.JsonValues;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class MemoryFilterTest {

    private static final Map<String, Object> ADA = JsonValues.normalizeMap(Map.of(
            "name", "ada", "age", 36, "height", 1.65, "big", new BigInteger("123456789012345678901234567890"),
            "price", new BigDecimal("9.990"), "tags", List.of("math", 1), "address", Map.of("city", "London", "geo", Map.of("lat", 51.5)),
            "retired", false), "value");

    private static boolean matches(Map<String, ?> filter) {
        return MemoryFilter.parse(JsonValues.normalizeMap(filter, "filter")).test(ADA);
    }

    @Test
    void equalityComparesNumbersByValueAndEverythingElseExactly() {
        assertThat(matches(Map.of("name", "ada"))).isTrue();
        assertThat(matches(Map.of("name", "Ada"))).as("case matters").isFalse();
        assertThat(matches(Map.of("age", 36.0))).as("long 36 equals double 36.0").isTrue();
        assertThat(matches(Map.of("age", new BigDecimal("36.00")))).isTrue();
        assertThat(matches(Map.of("price", 9.99))).as("a double as the decimal it is written as").isTrue();
        assertThat(matches(Map.of("price", new BigDecimal("9.99")))).as("scale does not matter").isTrue();
        assertThat(matches(Map.of("retired", false))).isTrue();
        assertThat(matches(Map.of("tags", List.of("math", 1.0)))).as("lists element by element").isTrue();
        assertThat(matches(Map.of("tags", List.of("math")))).isFalse();
        assertThat(matches(Map.of("address", Map.of("city", "London", "geo", Map.of("lat", 51.5))))).as("a whole object").isTrue();
        assertThat(matches(Map.of("missing", "x"))).isFalse();
        assertThat(matches(Map.of("name", "ada", "age", 37))).as("every condition must hold").isFalse();
    }

    @Test
    void aMissingFieldIsNull() {
        assertThat(matches(Map.of("missing", Map.of("$eq", "x")))).isFalse();
        Map<String, Object> isNull = new java.util.HashMap<>();
        isNull.put("missing", null);
        assertThat(matches(isNull)).isTrue();
        assertThat(matches(Map.of("missing", Map.of("$ne", "x")))).as("$ne holds where the field is missing").isTrue();
        assertThat(matches(Map.of("missing", Map.of("$gt", 0)))).as("nothing orders against a missing field").isFalse();
        assertThat(matches(Map.of("missing", Map.of("$lte", 0)))).isFalse();
    }

    @ParameterizedTest
    @CsvSource({
            "age, $gt, 35, true", "age, $gt, 36, false", "age, $gte, 36, true", "age, $lt, 36.5, true", "age, $lte, 35.9, false",
            "height, $gt, 1, true", "height, $lt, 2, true", "big, $gt, 1e29, true", "big, $lt, 1e30, true",
            "price, $gte, 9.99, true", "price, $gt, 9.99, false", "price, $lt, 10, true",
    })
    void orderingComparesNumbersAcrossTypes(String field, String op, String operand, boolean expected) {
        Object number = operand.contains(".") || operand.contains("e") ? (Object) Double.parseDouble(operand) : (Object) Long.parseLong(operand);
        assertThat(matches(Map.of(field, Map.of(op, number)))).as("%s %s %s", field, op, operand).isEqualTo(expected);
    }

    @Test
    void orderingComparesStringsByCodePointAndNeverAcrossTypes() {
        assertThat(matches(Map.of("name", Map.of("$gt", "Zed")))).as("lower case sorts after upper case").isTrue();
        assertThat(matches(Map.of("name", Map.of("$gte", "ada", "$lt", "adb")))).isTrue();
        assertThat(matches(Map.of("name", Map.of("$lt", 5)))).as("a string against a number").isFalse();
        assertThat(matches(Map.of("age", Map.of("$gt", "30")))).as("a number against a string").isFalse();
        assertThat(matches(Map.of("age", Map.of("$ne", "36")))).as("and they are never equal").isTrue();
    }

    @Test
    void dottedPathsReachIntoNestedObjects() {
        assertThat(matches(Map.of("address.city", "London"))).isTrue();
        assertThat(matches(Map.of("address.geo.lat", Map.of("$gt", 50)))).isTrue();
        assertThat(matches(Map.of("name.first", "ada"))).as("a step into a non-object finds nothing").isFalse();
        assertThat(matches(Map.of("address.zip", Map.of("$ne", "x")))).isTrue();
    }

    @Test
    void badFiltersAreRefusedNamingWhatIsWrong() {
        assertThatThrownBy(() -> matches(Map.of("age", Map.of("$near", 3)))).isInstanceOf(InvalidInputException.class)
                .hasMessageContaining("'$near'").hasMessageContaining("filter.age");
        assertThatThrownBy(() -> matches(Map.of("age", Map.of("$gt", List.of(1))))).isInstanceOf(InvalidInputException.class)
                .hasMessageContaining("filter.age.$gt needs a number or a string");
        Map<String, Object> nullOperand = new java.util.HashMap<>();
        nullOperand.put("$lt", null);
        assertThatThrownBy(() -> matches(Map.of("age", nullOperand))).isInstanceOf(InvalidInputException.class);
        assertThatThrownBy(() -> matches(Map.of("age", Map.of("$gt", 1, "x", 2)))).isInstanceOf(InvalidInputException.class)
                .hasMessageContaining("mixes");
        assertThatThrownBy(() -> matches(Map.of("a..b", 1))).isInstanceOf(InvalidInputException.class).hasMessageContaining("a..b");
        assertThatThrownBy(() -> matches(Map.of("", 1))).isInstanceOf(InvalidInputException.class);
    }

    @Test
    void anEmptyFilterMatchesEverything() {
        assertThat(MemoryFilter.parse(Map.of()).isEmpty()).isTrue();
        assertThat(MemoryFilter.parse(Map.of()).test(ADA)).isTrue();
    }
}
