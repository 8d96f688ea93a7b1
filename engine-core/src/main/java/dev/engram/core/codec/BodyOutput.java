package dev.engram.core.codec;

import com.esotericsoftware.kryo.io.KryoBufferOverflowException;
import com.esotericsoftware.kryo.io.Output;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.CharBuffer;
import org.jspecify.annotations.Nullable;

/**
 * Kryo's {@link Output} with the body's strings (format 2), written straight into the buffer without transcoding:
 * a string whose chars are all Latin-1 as one byte a char, any other as its UTF-16 code units, little-endian.
 * Both are copies of what a JDK string holds (compact strings keep Latin-1 text as bytes, other text as UTF-16),
 * where UTF-8 would have to convert every non-ASCII char.
 */
final class BodyOutput extends Output {

    /** The low bit of a string's header: 0 Latin-1, 1 UTF-16. */
    static final int UTF16 = 1;

    private static final int CHUNK = 4096;

    /** Where a UTF-16 string's chars pass on their way into the buffer; bounded, so a huge string does not grow it. */
    private final char[] chars = new char[CHUNK];

    BodyOutput(int bufferSize) {
        super(bufferSize, -1);
    }

    /** Writes varlong+ (length × 2 + coder), then the chars: the header's low bit says one byte each or two. */
    void writeText(String s) {
        write(s, 0);
    }

    /** Writes as {@link #writeText} with the header plus one, and 0 for null. */
    void writeNullableText(@Nullable String s) {
        if (s == null) {
            writeByte(0);
        } else {
            write(s, 1);
        }
    }

    @SuppressWarnings("deprecation")
    private void write(String s, int bias) {
        int length = s.length();
        if (isLatin1(s)) {
            writeVarLong(((long) length << 1) + bias, true);
            require(length);
            // copies each char's low byte, which for Latin-1 text is the whole char: one copy, no intermediate array
            s.getBytes(0, length, buffer, position);
            position += length;
            return;
        }
        writeVarLong(((long) length << 1 | UTF16) + bias, true);
        long size = 2L * length;
        if (size > maxCapacity - position) {
            throw new KryoBufferOverflowException("a string of " + size + " bytes does not fit the buffer");
        }
        require((int) size);
        CharBuffer target = ByteBuffer.wrap(buffer, position, (int) size).order(ByteOrder.LITTLE_ENDIAN).asCharBuffer();
        for (int from = 0; from < length; from += CHUNK) {
            int to = Math.min(length, from + CHUNK);
            s.getChars(from, to, chars, 0);
            target.put(chars, 0, to - from);
        }
        position += (int) size;
    }

    /** Whether every char of {@code s} is at most U+00FF, the test that picks a string's encoding. */
    static boolean isLatin1(String s) {
        for (int i = 0, n = s.length(); i < n; i++) {
            if (s.charAt(i) > 0xFF) {
                return false;
            }
        }
        return true;
    }
}
