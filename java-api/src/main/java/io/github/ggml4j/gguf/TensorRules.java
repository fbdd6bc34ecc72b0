package io.github.ggml4j.gguf;

import io.github.ggml4j.GgufFormatException;

import java.nio.charset.StandardCharsets;

/** The rules a tensor's name, shape and type must follow; shared by the reader, the writer and the record. */
final class TensorRules {

    private TensorRules() {
    }

    /** Checks a name given as a Java string (the writer's side). */
    static void checkName(String name) {
        if (name.isEmpty()) {
            throw new GgufFormatException("tensor name is empty");
        }
        byte[] utf8 = name.getBytes(StandardCharsets.UTF_8);
        if (utf8.length > Limits.MAX_TENSOR_NAME_BYTES) {
            throw new GgufFormatException("tensor name '" + Wire.quote(name) + "' is " + utf8.length
                    + " bytes; ggml allows at most " + Limits.MAX_TENSOR_NAME_BYTES);
        }
        if (name.indexOf('\0') >= 0) {
            throw new GgufFormatException("tensor name '" + Wire.quote(name) + "' contains a NUL character");
        }
        if (!new String(utf8, StandardCharsets.UTF_8).equals(name)) {
            throw new GgufFormatException("tensor name '" + Wire.quote(name) + "' is not valid Unicode");
        }
    }

    /**
     * Checks a shape against a type and returns the tensor's size in bytes: 1 to 4 dimensions, each at least
     * 1, rows a whole number of blocks, element count and byte size within a signed 64-bit value.
     *
     * @param at file offset for messages, or -1
     */
    static long byteSize(String name, GgmlType type, long[] ne, long at) {
        String who = "tensor '" + Wire.quote(name) + "'";
        if (ne.length == 0 || ne.length > Limits.MAX_DIMS) {
            throw new GgufFormatException(who + " has " + ne.length + " dimensions; ggml allows 1 to "
                    + Limits.MAX_DIMS, at);
        }
        long elements = 1;
        for (int i = 0; i < ne.length; i++) {
            if (ne[i] <= 0) {
                throw new GgufFormatException(who + " has dimension " + i + " = " + ne[i] + "; dimensions must be"
                        + " at least 1", at);
            }
            if (Math.multiplyHigh(elements, ne[i]) != 0 || elements * ne[i] < 0) {
                throw new GgufFormatException(who + " has more than 2^63 elements (shape " + shape(ne) + ")", at);
            }
            elements *= ne[i];
        }
        if (ne[0] % type.blockSize() != 0) {
            throw new GgufFormatException(who + " has rows of " + ne[0] + " elements, not a multiple of "
                    + type.ggmlName() + "'s block size " + type.blockSize(), at);
        }
        long blocks = elements / type.blockSize();
        if (Math.multiplyHigh(blocks, type.typeSize()) != 0 || blocks * type.typeSize() < 0) {
            throw new GgufFormatException(who + " of shape " + shape(ne) + " and type " + type.ggmlName()
                    + " is larger than 2^63 bytes", at);
        }
        return blocks * type.typeSize();
    }

    static String shape(long[] ne) {
        StringBuilder b = new StringBuilder("[");
        for (int i = 0; i < ne.length; i++) {
            b.append(i > 0 ? ", " : "").append(ne[i]);
        }
        return b.append(']').toString();
    }
}
