package io.github.ggml4j.cli;

import io.github.ggml4j.StorageException;
import io.github.ggml4j.bench.BenchResult;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** {@link LlamaBench#parse} on llama-bench's {@code -o json} output (fields as this llama.cpp version writes them). */
class LlamaBenchParseTest {

    private static String test(int nPrompt, int nGen, double avgTs, double sdTs, String samplesNs) {
        return """
                  {
                    "build_commit": "de3ff81",
                    "cpu_info": "AMD EPYC 7B13, 64-Core",
                    "model_filename": "/models/a, b [copy].gguf",
                    "model_type": "llama ?B (guessed) Q8_0",
                    "n_threads": 2,
                    "flash_attn": 1,
                    "tensor_split": "0.00",
                    "n_prompt": %d,
                    "n_gen": %d,
                    "n_depth": 0,
                    "avg_ns": 170267281,
                    "stddev_ns": 87168069,
                    "avg_ts": %s,
                    "stddev_ts": %s,
                    "samples_ns": %s,
                    "samples_ts": [ 34.497, 73.6444, 50.1 ]
                  }""".formatted(nPrompt, nGen, avgTs, sdTs, samplesNs);
    }

    @Test
    void readsEachTestWithItsRepetitions() {
        String json = "[\n" + test(512, 0, 54.070676, 27.681397, "[ 231904413, 108630150, 170267280 ]") + ",\n"
                + test(0, 128, 1541.075528, 0, "[ 701927 ]") + ",\n"
                + test(16, 4, 99.5, 1.25, "[ 1, 2 ]") + "\n]\n";
        List<BenchResult> r = LlamaBench.parse(json);
        assertEquals(List.of(new BenchResult("pp512", 512, 54.070676, 27.681397, 3),
                new BenchResult("tg128", 128, 1541.075528, 0, 1),
                new BenchResult("pp16+tg4", 20, 99.5, 1.25, 2)), r);
    }

    @Test
    void emptyOutputHasNoTests() {
        assertEquals(List.of(), LlamaBench.parse("[\n]\n"));
    }

    @Test
    void missingFieldIsReported() {
        StorageException e = assertThrows(StorageException.class,
                () -> LlamaBench.parse("[ { \"n_prompt\": 8, \"n_gen\": 0 } ]"));
        assertEquals("llama-bench output lacks avg_ts", e.getMessage());
    }
}
