package dev.engram.core.codec;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The blobs committed under {@code codec/v1}, {@code codec/v2}, … still decode to the objects they were written from;
 * the current format's re-encode to the same bytes, and an older format's re-encode to the current format's file.
 */
class GoldenCorpusTest {

    private static final int[] FORMATS = {1, 2};

    private final Codec codec = Codec.standard();

    static IntStream formats() {
        return IntStream.of(FORMATS);
    }

    static Stream<Arguments> cases() {
        return formats().boxed()
                .flatMap(format -> GoldenCases.forFormat(format).stream().map(c -> Arguments.of(format, c)));
    }

    static Stream<Arguments> currentCases() {
        return GoldenCases.forFormat(KryoCodec.CURRENT_FORMAT).stream().map(c -> Arguments.of(KryoCodec.CURRENT_FORMAT, c));
    }

    static Stream<Arguments> olderCases() {
        return cases().filter(a -> (int) a.get()[0] < KryoCodec.CURRENT_FORMAT);
    }

    @ParameterizedTest(name = "v{0} {1}")
    @MethodSource("cases")
    void storedBlobDecodesToTheExpectedObject(int format, GoldenCases.GoldenCase c) throws IOException {
        byte[] stored = read(format, c.fileName());

        assertThat(stored[2]).as("format version byte of %s", c.fileName()).isEqualTo((byte) format);
        assertThat(c.decode(codec, stored)).isEqualTo(c.expected());
    }

    @ParameterizedTest(name = "v{0} {1}")
    @MethodSource("currentCases")
    void currentFormatReencodesToTheStoredBytes(int format, GoldenCases.GoldenCase c) throws IOException {
        byte[] stored = read(format, c.fileName());

        assertThat(GoldenCases.GoldenCase.encode(codec, c.decode(codec, stored)))
                .as("re-encoding the decoded %s", c.name()).isEqualTo(stored);
        assertThat(c.encode(codec)).as("encoding the expected %s", c.name()).isEqualTo(stored);
    }

    @ParameterizedTest(name = "v{0} {1}")
    @MethodSource("olderCases")
    void olderFormatReencodesToTheCurrentFormatsFile(int format, GoldenCases.GoldenCase c) throws IOException {
        byte[] current = read(KryoCodec.CURRENT_FORMAT, c.fileName());

        assertThat(GoldenCases.GoldenCase.encode(codec, c.decode(codec, read(format, c.fileName()))))
                .as("v%d %s re-encoded", format, c.name()).isEqualTo(current);
    }

    @ParameterizedTest(name = "v{0}")
    @MethodSource("formats")
    void everyFileHasACaseAndEveryCaseHasAFile(int format) throws IOException, URISyntaxException {
        String dir = "/codec/v" + format + "/";
        URL url = GoldenCorpusTest.class.getResource(dir);
        assertThat(url).as("corpus directory %s on the test classpath", dir).isNotNull();
        List<String> files;
        try (Stream<Path> listing = Files.list(Path.of(url.toURI()))) {
            files = listing.map(p -> p.getFileName().toString()).sorted().collect(Collectors.toList());
        }

        assertThat(files).containsExactlyInAnyOrderElementsOf(
                GoldenCases.forFormat(format).stream().map(GoldenCases.GoldenCase::fileName).collect(Collectors.toList()));
    }

    @Test
    void everyFormatUpToTheCurrentOneHasACorpus() {
        assertThat(FORMATS).as("formats with a corpus").containsExactly(IntStream.rangeClosed(1, KryoCodec.CURRENT_FORMAT).toArray());
    }

    private static byte[] read(int format, String fileName) throws IOException {
        String path = "/codec/v" + format + "/" + fileName;
        try (InputStream in = GoldenCorpusTest.class.getResourceAsStream(path)) {
            assertThat(in).as("corpus file %s", path).isNotNull();
            return in.readAllBytes();
        }
    }
}
