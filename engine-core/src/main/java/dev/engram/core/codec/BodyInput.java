package dev.engram.core.codec;

import static java.nio.charset.StandardCharsets.ISO_8859_1;
import static java.nio.charset.StandardCharsets.UTF_8;

import com.esotericsoftware.kryo.io.Input;
import dev.engram.core.CorruptDataException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.jspecify.annotations.Nullable;

/**
 * Kryo's {@link Input} over one blob's body, reading strings as the blob's format wrote them: format 1 as UTF-8,
 * format 2 as {@link BodyOutput} writes them. Lengths are checked against the bytes left before anything is allocated.
 */
final class BodyInput extends Input {

    private static final int SCRATCH = 4096;
    private static final byte[] NO_BYTES = new byte[0];

    /** Where a short UTF-16 string's chars pass on their way into the string. */
    private final char[] chars = new char[SCRATCH];
    private int format;

    /** Reads {@code length} bytes of {@code blob} from {@code offset}, as format {@code format} wrote them. */
    void open(byte[] blob, int offset, int length, int format) {
        setBuffer(blob, offset, length);
        this.format = format;
    }

    /** Lets go of the blob, so an idle pooled session does not keep it reachable. */
    void release() {
        setBuffer(NO_BYTES);
        format = 0;
    }

    String readText() {
        return format == KryoCodec.FORMAT_V1 ? utf8(readVarInt(true)) : latin1OrUtf16(readVarLong(true));
    }

    /** Reads a string written with a header biased by one, 0 meaning null. */
    @Nullable String readNullableText() {
        if (format == KryoCodec.FORMAT_V1) {
            int n = readVarInt(true);
            return n == 0 ? null : utf8(n - 1);
        }
        long header = readVarLong(true);
        return header == 0 ? null : latin1OrUtf16(header - 1);
    }

    private String utf8(int length) {
        if (length < 0 || length > limit - position) {
            throw new CorruptDataException("a string of " + length + " bytes overruns the body (" + (limit - position) + " left)");
        }
        if (length == 0) {
            return "";
        }
        // decodes straight from the blob: the input wraps it without a copy
        String s = new String(buffer, position, length, UTF_8);
        position += length;
        return s;
    }

    private String latin1OrUtf16(long header) {
        long length = header >>> 1;
        boolean utf16 = (header & BodyOutput.UTF16) != 0;
        int left = limit - position;
        if (length > (utf16 ? left / 2 : left)) {
            throw new CorruptDataException("a " + (utf16 ? "UTF-16" : "Latin-1") + " string of " + length
                    + " chars overruns the body (" + left + " bytes left)");
        }
        int n = (int) length;
        if (!utf16) {
            String s = n == 0 ? "" : new String(buffer, position, n, ISO_8859_1);
            position += n;
            return s;
        }
        char[] target = n <= chars.length ? chars : new char[n];
        ByteBuffer.wrap(buffer, position, 2 * n).order(ByteOrder.LITTLE_ENDIAN).asCharBuffer().get(target, 0, n);
        position += 2 * n;
        String s = new String(target, 0, n);
        if (BodyOutput.isLatin1(s)) {
            // a writer picks Latin-1 whenever it can, so each string has exactly one encoding
            throw new CorruptDataException("a UTF-16 string of " + n + " chars has none above U+00FF");
        }
        return s;
    }
}
