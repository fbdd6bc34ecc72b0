package io.github.ggml4j.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.github.ggml4j.model.Pooling;
import io.github.ggml4j.parity.Parity;
import io.github.ggml4j.testing.Errors;
import io.github.ggml4j.testing.SyntheticEncoder;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code ggml4j embed} and {@code ggml4j rerank} print what {@code llama-embedding} prints for the same file, texts
 * and options (numbers within the tolerance of the parity tests), and fail with a clear message and exit code.
 */
class EncoderCliTest {

    static final SyntheticEncoder BERT = SyntheticEncoder.bert(128, 2, 4, 512, Pooling.CLS);
    static final String TEXTS = "hello world\nThe quick brown fox jumps over the lazy dog.\nwhat is a panda?";

    @Test
    void rawEmbeddingsEqualLlamaEmbedding() {
        String file = BERT.cached().toString();
        for (String norm : List.of("2", "-1", "1")) {
            Cli.Result ours = Cli.run("embed", "-m", file, "-p", TEXTS, "--embd-normalize", norm,
                    "--embd-output-format", "raw", "-t", "2", "-fa", "off");
            assertEquals(0, ours.exit(), ours.all());
            String ref = ReferenceTool.check(120, "llama-embedding", "-m", file, "-p", TEXTS, "--embd-normalize",
                    norm, "--embd-output-format", "raw", "-t", "2", "-fa", "off").text();
            List<float[]> a = rows(ref);
            List<float[]> b = rows(ours.out());
            assertEquals(3, a.size(), ref);
            assertEquals(3, b.size(), ours.all());
            for (int i = 0; i < 3; i++) {
                assertEquals(128, a.get(i).length, ref);
                assertEquals(128, b.get(i).length, ours.out());
                double nmse = Errors.nmse(a.get(i), b.get(i));
                assertTrue(nmse <= 1e-5, "normalize " + norm + ", text " + i + ": NMSE " + nmse);
            }
        }
    }

    @Test
    void jsonOutputIsOpenAiShapedAndUnitLength() throws Exception {
        Cli.Result r = Cli.run("embed", "-m", BERT.cached().toString(), "-p", TEXTS, "--embd-output-format", "json+",
                "-t", "2");
        assertEquals(0, r.exit(), r.all());
        JsonNode root = new ObjectMapper().readTree(r.out());
        assertEquals("list", root.path("object").asText());
        assertEquals(3, root.path("data").size());
        for (int i = 0; i < 3; i++) {
            JsonNode e = root.path("data").get(i);
            assertEquals(i, e.path("index").asInt());
            assertEquals(128, e.path("embedding").size());
            double n = 0;
            for (JsonNode x : e.path("embedding")) {
                n += x.asDouble() * x.asDouble();
            }
            assertEquals(1.0, n, 1e-4, "euclidean by default");
            assertEquals(1.0, root.path("cosineSimilarity").get(i).get(i).asDouble(), 1e-2);
        }
    }

    @Test
    void rerankScoresEqualLlamaEmbedding() {
        String file = BERT.withPooling(Pooling.RANK).cached().toString();
        List<String> docs = List.of("hi", "The giant panda is a bear.", "Pandas eat bamboo.");
        List<String> args = new ArrayList<>(List.of("rerank", "-m", file, "-q", "what is panda?", "-t", "2", "-fa", "off"));
        docs.forEach(d -> args.addAll(List.of("-d", d)));
        Cli.Result ours = Cli.run(args.toArray(String[]::new));
        assertEquals(0, ours.exit(), ours.all());
        StringBuilder pairs = new StringBuilder();
        for (String d : docs) {
            pairs.append(pairs.isEmpty() ? "" : "\n").append("what is panda?\t").append(d);
        }
        Pattern score = Pattern.compile("rerank score (\\d+): +(-?[0-9.]+)");
        String ref = ReferenceTool.check(120, "llama-embedding", "-m", file, "-p", pairs.toString(),
                "--embd-normalize", "-1", "-t", "2", "-fa", "off").text();
        List<String> want = new ArrayList<>();
        Matcher m = score.matcher(ref);
        while (m.find()) {
            want.add(m.group(1) + ":" + m.group(2));
        }
        List<String> got = new ArrayList<>();
        m = score.matcher(ours.out());
        while (m.find()) {
            got.add(m.group(1) + ":" + m.group(2));
        }
        assertEquals(3, want.size(), ref);
        assertEquals(3, got.size(), ours.all());
        for (int i = 0; i < 3; i++) {
            String[] w = want.get(i).split(":");
            String[] g = got.get(i).split(":");
            assertEquals(w[0], g[0], "document order");
            // printed to three decimals: one unit of the last place either way
            assertEquals(Double.parseDouble(w[1]), Double.parseDouble(g[1]), 0.0015, "score of document " + i);
        }
    }

    @Test
    void misuseFailsWithAMessage() {
        Cli.Result decoder = Cli.run("embed", "-m", Parity.TINY.cached().toString(), "-p", "hi");
        assertEquals(5, decoder.exit(), decoder.all());
        assertTrue(decoder.err().contains("decoder"), decoder.err());
        Cli.Result notRanker = Cli.run("rerank", "-m", BERT.cached().toString(), "-q", "q", "-d", "d");
        assertEquals(5, notRanker.exit(), notRanker.all());
        assertTrue(notRanker.err().contains("not a reranker"), notRanker.err());
        Cli.Result format = Cli.run("embed", "-m", BERT.cached().toString(), "-p", "hi", "--embd-output-format", "xml");
        assertEquals(2, format.exit(), format.all());
        assertTrue(format.err().contains("--embd-output-format"), format.err());
    }

    private static List<float[]> rows(String text) {
        List<float[]> rows = new ArrayList<>();
        for (String line : text.split("\n")) {
            if (line.isBlank() || !line.strip().matches("[-0-9. ]+")) {
                continue;
            }
            String[] p = line.strip().split(" +");
            float[] r = new float[p.length];
            for (int i = 0; i < p.length; i++) {
                r[i] = Float.parseFloat(p[i]);
            }
            rows.add(r);
        }
        return rows;
    }
}
