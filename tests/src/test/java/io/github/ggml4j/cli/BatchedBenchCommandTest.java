package io.github.ggml4j.cli;

import io.github.ggml4j.bench.BatchedBenchResult;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code ggml4j batched-bench}: llama-batched-bench's table for ggml4j and, with --compare, for llama.cpp. */
class BatchedBenchCommandTest {

    static final Pattern ROW = Pattern.compile("\\|\\s+(\\d+) \\|\\s+(\\d+) \\|\\s+(\\d+) \\|\\s+(\\d+) \\|([^\\n]*)");

    @Test
    void printsOneRowPerParallelCountForBothRuntimesAndTheRatios() {
        Path file = CliModels.LLAMA_Q4_0.cached();
        Cli.Result r = Cli.run("batched-bench", "-m", file.toString(), "-npp", "32", "-ntg", "8", "-npl", "1,2,4",
                "-t", "2", "--compare");
        assertEquals(0, r.exit(), r.err());
        String out = r.out();
        assertTrue(out.contains("|    PP |     TG |    B |   N_KV |   T_PP s | S_PP t/s |   T_TG s | S_TG t/s |      T s |    S t/s |"),
                out);
        Matcher m = ROW.matcher(out);
        int rows = 0;
        while (m.find()) {
            int pl = Integer.parseInt(m.group(3));
            assertEquals(pl * (32 + 8), Integer.parseInt(m.group(4)), "N_KV of " + m.group());
            rows++;
        }
        assertEquals(6, rows, "three rows for ggml4j, three for llama.cpp:\n" + out);
        assertTrue(out.contains("S_TG ggml4j/llama.cpp"), out);
        String ratios = out.substring(out.indexOf("S_TG ggml4j/llama.cpp"));
        long ratioRows = ratios.lines().filter(l -> l.matches("\\|\\s+32 \\|\\s+8 \\|\\s+[124] \\|.*")).count();
        assertEquals(3, ratioRows, out);
    }

    @Test
    void readsLlamaBatchedBenchJsonLines() {
        String jsonl = "noise\n{\"n_kv_max\": 384, \"pp\": 128, \"tg\": 64, \"pl\": 2, \"n_kv\": 384, \"t_pp\": 0.5, "
                + "\"speed_pp\": 512.0, \"t_tg\": 2.0, \"speed_tg\": 64.0, \"t\": 2.5, \"speed\": 153.6}\n";
        List<BatchedBenchResult> rows = LlamaBatchedBench.parse(jsonl);
        assertEquals(1, rows.size());
        BatchedBenchResult b = rows.get(0);
        assertEquals(512.0, b.sPp(), 1e-9);
        assertEquals(64.0, b.sTg(), 1e-9);
        assertEquals(153.6, b.s(), 1e-9);
    }
}
