package dev.engram.core.codec;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Writes the golden corpus files of the current format version that do not exist yet.
 *
 * <p>The files of a released format version must never be regenerated: they are what old data looks like. This
 * writer only adds missing files; a new format version gets its own directory ({@code codec/v2}, …) and its list in
 * {@link GoldenCases#forFormat}: the previous format's cases plus its own. Run from the repository root after
 * {@code mvn -pl engine-core test-compile} and
 * {@code mvn -q -pl engine-core dependency:build-classpath -Dmdep.outputFile=target/cp.txt}:
 * {@code java -cp engine-core/target/test-classes:engine-core/target/classes:$(cat engine-core/target/cp.txt) dev.engram.core.codec.GoldenCorpusWriter}
 */
public final class GoldenCorpusWriter {

    private GoldenCorpusWriter() {
    }

    public static void main(String[] args) throws IOException {
        Path dir = Path.of(args.length > 0 ? args[0] : "engine-core/src/test/resources/codec/v" + KryoCodec.CURRENT_FORMAT);
        Files.createDirectories(dir);
        for (GoldenCases.GoldenCase c : GoldenCases.forFormat(KryoCodec.CURRENT_FORMAT)) {
            Path file = dir.resolve(c.fileName());
            if (Files.exists(file)) {
                System.out.println("kept    " + file);
                continue;
            }
            Files.write(file, c.encode(KryoCodec.INSTANCE));
            System.out.println("written " + file);
        }
    }
}
