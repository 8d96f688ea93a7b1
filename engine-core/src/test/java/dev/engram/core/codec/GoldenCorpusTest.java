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
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** The blobs committed under {@code codec/v1} still decode to the objects they were written from, and re-encode to the same bytes. */
class GoldenCorpusTest {

    private static final String DIR = "/codec/v1/";
    private final Codec codec = Codec.standard();

    static List<GoldenCases.GoldenCase> cases() {
        return GoldenCases.all();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void storedBlobDecodesToTheExpectedObject(GoldenCases.GoldenCase c) throws IOException {
        byte[] stored = read(c.fileName());

        assertThat(stored[2]).as("format version byte of %s", c.fileName()).isEqualTo((byte) 1);
        assertThat(c.decode(codec, stored)).isEqualTo(c.expected());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void currentFormatReencodesToTheStoredBytes(GoldenCases.GoldenCase c) throws IOException {
        // holds while format 1 is the one written; once a format 2 exists only the decoding test applies to v1 files
        assertThat(KryoCodec.CURRENT_FORMAT).isEqualTo(1);
        byte[] stored = read(c.fileName());

        assertThat(GoldenCases.GoldenCase.encode(codec, c.decode(codec, stored)))
                .as("re-encoding the decoded %s", c.name()).isEqualTo(stored);
        assertThat(c.encode(codec)).as("encoding the expected %s", c.name()).isEqualTo(stored);
    }

    @Test
    void everyFileHasACaseAndEveryCaseHasAFile() throws IOException, URISyntaxException {
        URL dir = GoldenCorpusTest.class.getResource(DIR);
        assertThat(dir).as("corpus directory %s on the test classpath", DIR).isNotNull();
        List<String> files;
        try (Stream<Path> listing = Files.list(Path.of(dir.toURI()))) {
            files = listing.map(p -> p.getFileName().toString()).sorted().collect(Collectors.toList());
        }

        assertThat(files).containsExactlyInAnyOrderElementsOf(
                GoldenCases.all().stream().map(GoldenCases.GoldenCase::fileName).collect(Collectors.toList()));
    }

    private static byte[] read(String fileName) throws IOException {
        try (InputStream in = GoldenCorpusTest.class.getResourceAsStream(DIR + fileName)) {
            assertThat(in).as("corpus file %s", fileName).isNotNull();
            return in.readAllBytes();
        }
    }
}
