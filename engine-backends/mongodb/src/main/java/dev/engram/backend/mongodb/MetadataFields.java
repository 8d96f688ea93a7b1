package dev.engram.backend.mongodb;

/**
 * Metadata keys as field names: '.' and '$' have meaning in MongoDB paths and NUL ends a BSON name, so those (and
 * the escape character '%') are percent-encoded; any key then maps to exactly one field name and back.
 */
final class MetadataFields {

    private MetadataFields() {
    }

    static String encode(String key) {
        StringBuilder sb = new StringBuilder(key.length());
        for (int i = 0; i < key.length(); i++) {
            char c = key.charAt(i);
            switch (c) {
                case '%' -> sb.append("%25");
                case '.' -> sb.append("%2E");
                case '$' -> sb.append("%24");
                case '\0' -> sb.append("%00");
                default -> sb.append(c);
            }
        }
        return sb.toString();
    }

    static String decode(String field) {
        if (field.indexOf('%') < 0) {
            return field;
        }
        StringBuilder sb = new StringBuilder(field.length());
        for (int i = 0; i < field.length(); i++) {
            char c = field.charAt(i);
            if (c == '%' && i + 2 < field.length()) {
                sb.append((char) Integer.parseInt(field.substring(i + 1, i + 3), 16));
                i += 2;
            } else {
                sb.append(c);
            }
        }
        return sb.toString();
    }

    /** The dotted path of a metadata entry inside a thread record. */
    static String path(String key) {
        return ThreadDocuments.METADATA + "." + encode(key);
    }
}
