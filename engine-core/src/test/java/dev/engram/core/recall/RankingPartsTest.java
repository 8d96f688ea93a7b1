package dev.engram.core.recall;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.data.Offset.offset;

import dev.engram.core.ConfigurationException;
import dev.engram.core.internal.JsonValues;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/** Tokens, terms, BM25, vectors, the bounded selection and the text a value yields. */
class RankingPartsTest {

    @Test
    void tokensAreLowerCaseRunsOfLettersAndDigitsInAnyScript() {
        assertThat(Tokens.of("Hello, WORLD! It's 2024-05")).containsExactly("hello", "world", "it", "s", "2024", "05");
        assertThat(Tokens.of("Ärger über Straße")).containsExactly("ärger", "über", "straße");
        assertThat(Tokens.of("Привет мир")).containsExactly("привет", "мир");
        assertThat(Tokens.of("東京 tower\t𝔸bc")).as("supplementary letters stay whole").containsExactly("東京", "tower", "𝔸bc");
        assertThat(Tokens.of(" ... ")).isEmpty();
    }

    @Test
    void termsCountWordsAndLength() {
        Terms t = Terms.of(List.of("the cat and the hat", "The end"));
        assertThat(t.count("the")).isEqualTo(3);
        assertThat(t.count("cat")).isEqualTo(1);
        assertThat(t.count("dog")).isZero();
        assertThat(t.length()).isEqualTo(7);
        assertThat(Terms.of(List.of()).length()).isZero();
    }

    @Test
    void bm25FollowsTheFormula() {
        Terms a = Terms.of(List.of("apple banana apple"));
        Terms b = Terms.of(List.of("banana cherry"));
        Terms c = Terms.of(List.of("cherry date elder fig"));
        Bm25 bm25 = Bm25.over(List.of("apple", "banana"), List.of(a, b, c));
        double avg = 9 / 3.0;
        double idfApple = Math.log(1 + (3 - 1 + 0.5) / (1 + 0.5));
        double idfBanana = Math.log(1 + (3 - 2 + 0.5) / (2 + 0.5));
        double normA = 1.2 * (1 - 0.75 + 0.75 * 3 / avg);
        double expectedA = idfApple * 2 * 2.2 / (2 + normA) + idfBanana * 1 * 2.2 / (1 + normA);
        assertThat(bm25.score(a)).isCloseTo(expectedA, offset(1e-12));
        double normB = 1.2 * (1 - 0.75 + 0.75 * 2 / avg);
        assertThat(bm25.score(b)).isCloseTo(idfBanana * 2.2 / (1 + normB), offset(1e-12));
        assertThat(bm25.score(c)).isZero();
        assertThat(bm25.score(a)).isGreaterThan(bm25.score(b));
        assertThat(Bm25.scores(List.of("apple", "banana"), List.of(a, b, c)))
                .as("the single-pass form gives the same scores").containsExactly(new double[] {bm25.score(a), bm25.score(b), 0}, offset(1e-12));
    }

    @Test
    void aRareWordOutweighsACommonOneAndShortTextsWinTies() {
        List<Terms> docs = List.of(Terms.of(List.of("user likes tea")), Terms.of(List.of("user likes coffee")),
                Terms.of(List.of("user likes tea very much indeed today")));
        Bm25 bm25 = Bm25.over(List.of("user", "coffee"), docs);
        assertThat(bm25.score(docs.get(1))).isGreaterThan(bm25.score(docs.get(0)));
        Bm25 tea = Bm25.over(List.of("tea"), docs);
        assertThat(tea.score(docs.get(0))).isGreaterThan(tea.score(docs.get(2)));
    }

    @Test
    void vectorsAreMadeUnitAndDotted() {
        float[] u = Vectors.unit(new float[] {3, 4}, "test");
        assertThat(u[0]).isCloseTo(0.6f, offset(1e-6f));
        assertThat(u[1]).isCloseTo(0.8f, offset(1e-6f));
        float[] long1 = new float[1536];
        float[] long2 = new float[1536];
        for (int i = 0; i < long1.length; i++) {
            long1[i] = i % 7 - 3;
            long2[i] = i % 5 - 2;
        }
        float[] a = Vectors.unit(long1, "test");
        float[] b = Vectors.unit(long2, "test");
        double expected = 0;
        for (int i = 0; i < a.length; i++) {
            expected += (double) a[i] * b[i];
        }
        assertThat(Vectors.dot(a, b)).isCloseTo(expected, offset(1e-5));
        assertThat(Vectors.dot(a, a)).isCloseTo(1, offset(1e-5));
        assertThat(Vectors.dot(a, u)).as("other dimensions do not compare").isZero();
        assertThatThrownBy(() -> Vectors.unit(new float[] {0, 0}, "'x'")).isInstanceOf(ConfigurationException.class).hasMessageContaining("'x'");
        assertThatThrownBy(() -> Vectors.unit(new float[] {Float.NaN}, "'x'")).isInstanceOf(ConfigurationException.class);
        assertThatThrownBy(() -> Vectors.unit(new float[0], "'x'")).isInstanceOf(ConfigurationException.class);
    }

    @Test
    void topKKeepsTheBestInOrder() {
        TopK<Integer> top = new TopK<>(3, Comparator.reverseOrder());
        IntStream.of(5, 1, 9, 3, 7, 9, 2).forEach(top::offer);
        assertThat(top.best()).containsExactly(9, 9, 7);
        TopK<Integer> none = new TopK<>(0, Comparator.naturalOrder());
        none.offer(1);
        assertThat(none.best()).isEmpty();
        TopK<Integer> more = new TopK<>(10, Comparator.naturalOrder());
        IntStream.of(3, 1, 2).forEach(more::offer);
        assertThat(more.best()).containsExactly(1, 2, 3);
    }

    @Test
    void itemTextReadsConfiguredFieldsOrEveryString() {
        Map<String, Object> value = JsonValues.normalizeMap(Map.of("title", "Trip", "body", Map.of("text", "to Lyon", "n", 3),
                "tags", List.of("travel", 5, List.of("france")), "n", 7), "value");
        assertThat(new ItemText(List.of(), "f").strings(value)).as("in key order").containsExactly("to Lyon", "travel", "france", "Trip");
        assertThat(new ItemText(List.of("title", "body.text", "missing"), "f").strings(value)).containsExactly("Trip", "to Lyon");
        assertThat(new ItemText(List.of("tags"), "f").joined(value)).isEqualTo("travel\nfrance");
        assertThat(new ItemText(List.of("n"), "f").joined(value)).as("numbers are not text").isEmpty();
    }
}
