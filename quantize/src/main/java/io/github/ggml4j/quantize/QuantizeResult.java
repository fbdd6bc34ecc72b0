package io.github.ggml4j.quantize;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * What a {@link Quantizer} run did.
 *
 * @param output      the file written (empty for a dry run)
 * @param tensors     each tensor's plan, in file order
 * @param inputBytes  bytes of tensor data in the input
 * @param outputBytes bytes of tensor data in the output
 * @param elements    weights in the model
 * @param fallbacks   tensors that fell back to another type because of their row length
 * @param elapsed     wall time
 */
public record QuantizeResult(Optional<Path> output, List<TensorPlan> tensors, long inputBytes, long outputBytes,
                             long elements, int fallbacks, Duration elapsed) {

    public QuantizeResult {
        Objects.requireNonNull(output, "output");
        tensors = List.copyOf(tensors);
        Objects.requireNonNull(elapsed, "elapsed");
    }

    /** Bits per weight of the input's tensor data. */
    public double inputBitsPerWeight() {
        return elements == 0 ? 0 : inputBytes * 8.0 / elements;
    }

    /** Bits per weight of the output's tensor data. */
    public double outputBitsPerWeight() {
        return elements == 0 ? 0 : outputBytes * 8.0 / elements;
    }

    /** Whether some tensor needs an importance matrix (what a dry run without one warns about). */
    public boolean requiresImatrix() {
        return tensors.stream().anyMatch(t -> t.requiresImatrix() && t.converts());
    }
}
