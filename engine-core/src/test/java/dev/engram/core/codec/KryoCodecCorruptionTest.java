package dev.engram.core.codec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.engram.core.CorruptDataException;
import dev.engram.core.model.Change;
import dev.engram.core.model.Message;
import dev.engram.core.model.ThreadKey;
import dev.engram.core.model.ThreadState;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.Test;

/** Every damaged blob fails with {@link CorruptDataException} saying what is wrong, never with a Kryo or index exception. */
class KryoCodecCorruptionTest {

    private static final ThreadKey KEY = ThreadKey.of("chat-9");
    private static final int HEADER = 9;

    private final Codec codec = Codec.standard();

    private final byte[] event = codec.encodeEvent(
            Change.message(Message.user("a message with ✓ unicode").withAttributes(Map.of("n", 1L, "l", List.of("x", 2.5)))),
            Map.of("trace", "t-1"));
    private final byte[] state = codec.encodeState(ThreadState.empty(KEY)
            .apply(1, Instant.parse("2024-01-01T00:00:00Z"), Change.message(Message.user("hi")))
            .apply(2, Instant.parse("2024-01-01T00:00:01Z"), Change.set(Map.of("k", Map.of("nested", List.of(1L, "two")))))
            .apply(3, Instant.parse("2024-01-01T00:00:02Z"), Change.compact(1, Message.system("summary"))));

    @Test
    void flippingAnyBodyByteFailsTheCrcCheck() {
        for (int i = HEADER; i < event.length; i++) {
            byte[] damaged = event.clone();
            damaged[i] ^= (byte) 0xFF;

            assertThatThrownBy(() -> codec.decodeEvent(damaged))
                    .as("byte %d flipped", i)
                    .isInstanceOf(CorruptDataException.class)
                    .hasMessageContaining("CRC32C mismatch");
        }
    }

    @Test
    void damagedChecksumFailsTheCrcCheck() {
        byte[] damaged = state.clone();
        damaged[6] ^= 0x01;

        assertThatThrownBy(() -> codec.decodeState(KEY, damaged))
                .isInstanceOf(CorruptDataException.class)
                .hasMessageContaining("CRC32C mismatch");
    }

    @Test
    void wrongMagicIsRejected() {
        byte[] damaged = event.clone();
        damaged[0] = '{';

        assertThatThrownBy(() -> codec.decodeEvent(damaged))
                .isInstanceOf(CorruptDataException.class)
                .hasMessageContaining("magic is 0x7B47");
    }

    @Test
    void unknownFormatVersionIsRejected() {
        for (int version : new int[] {0, 3, 255}) {
            byte[] damaged = event.clone();
            damaged[2] = (byte) version;

            assertThatThrownBy(() -> codec.decodeEvent(damaged))
                    .isInstanceOf(CorruptDataException.class)
                    .hasMessageContaining("unknown format version " + version);
        }
    }

    @Test
    void unknownCodecIdIsRejected() {
        byte[] damaged = state.clone();
        damaged[3] = 7;

        assertThatThrownBy(() -> codec.decodeState(KEY, damaged))
                .isInstanceOf(CorruptDataException.class)
                .hasMessageContaining("unknown codec id 7");
    }

    @Test
    void eventBlobIsNotAStateAndStateBlobIsNotAnEvent() {
        assertThatThrownBy(() -> codec.decodeState(KEY, event))
                .isInstanceOf(CorruptDataException.class)
                .hasMessageContaining("wrong kind: expected state blob (kind 2), got kind 1 (event)");
        assertThatThrownBy(() -> codec.decodeEvent(state))
                .isInstanceOf(CorruptDataException.class)
                .hasMessageContaining("wrong kind: expected event blob (kind 1), got kind 2 (state)");
    }

    @Test
    void everyTruncationIsRejected() {
        for (int length = 0; length < state.length; length++) {
            byte[] truncated = Arrays.copyOf(state, length);

            assertThatThrownBy(() -> codec.decodeState(KEY, truncated))
                    .as("first %d of %d bytes", length, state.length)
                    .isInstanceOf(CorruptDataException.class)
                    .hasMessageContaining(length < HEADER ? "shorter than the 9-byte header" : "CRC32C mismatch");
        }
    }

    @Test
    void truncatedBodyWithAMatchingChecksumSaysTheBodyEndsEarly() {
        byte[] truncated = withFixedCrc(Arrays.copyOf(event, event.length - 4));

        assertThatThrownBy(() -> codec.decodeEvent(truncated))
                .isInstanceOf(CorruptDataException.class)
                .hasMessageStartingWith("cannot decode event blob");
    }

    @Test
    void unknownChangeTagIsRejected() {
        byte[] damaged = event.clone();
        damaged[HEADER] = 99;

        assertThatThrownBy(() -> codec.decodeEvent(withFixedCrc(damaged)))
                .isInstanceOf(CorruptDataException.class)
                .hasMessageContaining("unknown change tag 99");
    }

    @Test
    void utf16StringWithoutACharAboveLatin1IsRejected() {
        // role "user" written as UTF-16 (header 4 << 1 | 1): a writer would have used Latin-1, so the blob is not one of ours
        byte[] blob = eventBlob(1, 9, 'u', 0, 's', 0, 'e', 0, 'r', 0, 0, 0, 0, 0, 0, 0);

        assertThatThrownBy(() -> codec.decodeEvent(blob))
                .isInstanceOf(CorruptDataException.class)
                .hasMessageContaining("a UTF-16 string of 4 chars has none above U+00FF");
    }

    @Test
    void stringLongerThanTheBodyIsRejectedBeforeAnythingIsAllocated() {
        // role header: a varlong of 2^62 - 1 chars, UTF-16 (about 2^63 bytes)
        byte[] utf16 = eventBlob(1, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F, 'x', 0);
        byte[] latin1 = eventBlob(1, 0x80, 0x80, 0x80, 0x80, 0x10, 'x');

        assertThatThrownBy(() -> codec.decodeEvent(utf16))
                .isInstanceOf(CorruptDataException.class)
                .hasMessageContaining("a UTF-16 string of 4611686018427387903 chars overruns the body (2 bytes left)");
        assertThatThrownBy(() -> codec.decodeEvent(latin1))
                .isInstanceOf(CorruptDataException.class)
                .hasMessageContaining("a Latin-1 string of 2147483648 chars overruns the body (1 bytes left)");
    }

    @Test
    void formatOneBlobWithAStringLongerThanTheBodyIsRejected() {
        byte[] blob = eventBlob(1, 0x7F, 'u');
        blob[2] = 1;

        assertThatThrownBy(() -> codec.decodeEvent(withFixedCrc(blob)))
                .isInstanceOf(CorruptDataException.class)
                .hasMessageContaining("(format 1): a string of 127 bytes overruns the body (1 left)");
    }

    @Test
    void trailingBytesAreRejected() {
        byte[] longer = withFixedCrc(Arrays.copyOf(state, state.length + 3));

        assertThatThrownBy(() -> codec.decodeState(KEY, longer))
                .isInstanceOf(CorruptDataException.class)
                .hasMessageContaining("3 bytes left over");
    }

    @Test
    void bodyThatBreaksAModelRuleIsCorruptData() {
        byte[] blob = codec.encodeEvent(Change.compact(1, Message.system("s")), Map.of());
        assertThat(blob[HEADER + 1]).as("varlong upToVersion").isEqualTo((byte) 1);
        blob[HEADER + 1] = 0;

        assertThatThrownBy(() -> codec.decodeEvent(withFixedCrc(blob)))
                .isInstanceOf(CorruptDataException.class)
                .hasMessageContaining("upToVersion must be at least 1");
    }

    @Test
    void randomDamageBehindAValidChecksumNeverEscapesAsAnotherException() {
        Random random = new Random(20240501);
        int rejected = 0;
        int rounds = 4_000;
        for (int round = 0; round < rounds; round++) {
            boolean isEvent = random.nextBoolean();
            byte[] blob = (isEvent ? event : state).clone();
            if (random.nextInt(4) == 0) {
                blob = Arrays.copyOf(blob, HEADER + random.nextInt(blob.length - HEADER));
            } else {
                for (int n = 1 + random.nextInt(3); n > 0; n--) {
                    blob[HEADER + random.nextInt(blob.length - HEADER)] = (byte) random.nextInt(256);
                }
            }
            byte[] damaged = withFixedCrc(blob);
            try {
                if (isEvent) {
                    codec.decodeEvent(damaged);
                } else {
                    codec.decodeState(KEY, damaged);
                }
            } catch (CorruptDataException e) {
                assertThat(e).hasMessageStartingWith("cannot decode");
                rejected++;
            }
        }
        assertThat(rejected).as("damaged blobs rejected").isGreaterThan(rounds / 2);
        assertThat(codec.decodeEvent(event).metadata()).as("codec still usable").containsEntry("trace", "t-1");
    }

    /** A format-2 event blob with this body and a valid header and checksum. */
    private static byte[] eventBlob(int... body) {
        byte[] blob = new byte[HEADER + body.length];
        blob[0] = (byte) 0xE6;
        blob[1] = 0x47;
        blob[2] = 2;
        blob[3] = 1;
        blob[4] = 1;
        for (int i = 0; i < body.length; i++) {
            blob[HEADER + i] = (byte) body[i];
        }
        return withFixedCrc(blob);
    }

    private static byte[] withFixedCrc(byte[] blob) {
        CRC32C crc = new CRC32C();
        crc.update(blob, HEADER, blob.length - HEADER);
        int value = (int) crc.getValue();
        blob[5] = (byte) (value >>> 24);
        blob[6] = (byte) (value >>> 16);
        blob[7] = (byte) (value >>> 8);
        blob[8] = (byte) value;
        return blob;
    }
}
