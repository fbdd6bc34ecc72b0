package io.github.ggml4j.cli;

import io.github.ggml4j.Ggml4jException;
import io.github.ggml4j.gguf.GgmlType;
import io.github.ggml4j.gguf.GgufMetadata;
import io.github.ggml4j.model.AttentionLayout;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Which layers of a model attend through a sliding window and what its KV cache costs per sequence (F16, the
 * default cache type), from the file's metadata: shared by {@code ggml4j gguf} and {@code ggml4j info -m}.
 */
final class AttentionSummary {

    private AttentionSummary() {
    }

    /** The lines, or empty when the file is not a model of a supported architecture. */
    static Optional<List<String>> of(GgufMetadata md) {
        AttentionLayout a;
        try {
            a = AttentionLayout.of(md);
        } catch (Ggml4jException | IllegalArgumentException e) {
            return Optional.empty();
        }
        GgmlType kv = GgmlType.F16;
        long perPos = a.bytesPerLayerPosition(kv);
        List<String> lines = new ArrayList<>();
        if (a.window() == 0) {
            lines.add(String.format("full causal attention on all %d layers (no %s.attention.sliding_window; "
                    + "--swa W sets one)", a.layers(), a.architecture()));
            lines.add(String.format("KV cache (f16): %,d bytes per position per sequence", perPos * a.layers()));
            return Optional.of(lines);
        }
        int w = a.window();
        int nSwa = a.windowedLayers().size();
        lines.add(String.format("sliding window %d on %d of %d layers %s%s", w, nSwa, a.layers(), a.windowedLayers(),
                a.denseLayers() > 0 ? ", the others dense" : ""));
        lines.add(String.format("KV cache (f16) per sequence, --kv-layout rolling: %,d bytes for the windowed layers "
                        + "(%d slots each)%s", perPos * nSwa * w, w,
                a.denseLayers() > 0 ? String.format(" + %,d bytes per position for the %d dense layer(s)",
                        perPos * a.denseLayers(), a.denseLayers()) : ", however long the sequence"));
        lines.add(String.format("KV cache (f16) per sequence, --kv-layout full: %,d bytes per position",
                perPos * a.layers()));
        return Optional.of(lines);
    }
}
