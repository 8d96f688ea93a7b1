package dev.engram.core.config;

import dev.engram.core.ConfigurationException;
import java.util.List;

/**
 * Semantic recall ({@code memory.embedding}).
 *
 * @param enabled       embed items on write and rank queries by cosine similarity (default false: lexical ranking)
 * @param fields        the value fields whose text is embedded; empty: every string in the value (default)
 * @param lexicalWeight how much of the score is the lexical score, 0..1 (default 0: cosine alone)
 */
public record EmbeddingSettings(boolean enabled, ModelEndpoint endpoint, List<String> fields, double lexicalWeight) {

    public static final String DEFAULT_MODEL = "text-embedding-3-small";

    public EmbeddingSettings {
        if (endpoint == null) {
            throw new ConfigurationException("memory.embedding needs an endpoint");
        }
        fields = List.copyOf(fields);
        if (!(lexicalWeight >= 0 && lexicalWeight <= 1)) {
            throw new ConfigurationException("memory.embedding.lexicalWeight must be between 0 and 1, got " + lexicalWeight);
        }
    }

    public static EmbeddingSettings defaults() {
        return new EmbeddingSettings(false, new ModelEndpoint(ModelEndpoint.DEFAULT_BASE_URL, DEFAULT_MODEL,
                ModelEndpoint.DEFAULT_API_KEY_ENV, ModelEndpoint.DEFAULT_TIMEOUT), List.of(), 0);
    }

    public EmbeddingSettings enabled(ModelEndpoint at) {
        return new EmbeddingSettings(true, at, fields, lexicalWeight);
    }

    public EmbeddingSettings withFields(List<String> names) {
        return new EmbeddingSettings(enabled, endpoint, names, lexicalWeight);
    }

    public EmbeddingSettings withLexicalWeight(double weight) {
        return new EmbeddingSettings(enabled, endpoint, fields, weight);
    }
}
