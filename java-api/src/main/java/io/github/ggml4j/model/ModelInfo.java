package io.github.ggml4j.model;

import java.util.List;

/**
 * Facts about a loaded model.
 *
 * @param architecture    {@code general.architecture}
 * @param name            {@code general.name}, or the file name
 * @param hyperParameters the transformer's shape
 * @param tensorCount     tensors in the file
 * @param fileSize        bytes of the file
 * @param mappedBytes     weight bytes used in place from the file mapping
 * @param copiedBytes     weight bytes copied at load (repacked or uploaded to a GPU)
 * @param placement       one line per weight buffer (how many weights, which buffer type)
 * @param parameterCount  elements in all tensors
 * @param weightBytes     bytes of all tensors
 * @param mainType        the storage type holding most weight bytes, e.g. {@code Q4_0}
 */
public record ModelInfo(String architecture, String name, HyperParameters hyperParameters, int tensorCount,
                        long fileSize, long mappedBytes, long copiedBytes, List<String> placement, long parameterCount,
                        long weightBytes, String mainType) {

    public ModelInfo {
        placement = List.copyOf(placement);
    }
}
