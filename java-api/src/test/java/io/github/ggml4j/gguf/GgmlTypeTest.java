package io.github.ggml4j.gguf;

import io.github.ggml4j.GgufFormatException;
import io.github.ggml4j.internal.ggml.GgmlLib;
import io.github.ggml4j.nativ.NativeLoader;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.Set;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Our GgmlType table against the loaded ggml: every id, name, block size and type size. */
class GgmlTypeTest {

    @BeforeAll
    static void load() {
        NativeLoader.ensureLoaded();
    }

    @Test
    void everyConstantMatchesGgml() {
        for (GgmlType t : GgmlType.values()) {
            assertEquals(GgmlLib.ggml_blck_size(t.id()), t.blockSize(), t + " block size");
            assertEquals(GgmlLib.ggml_type_size(t.id()), t.typeSize(), t + " type size");
            MemorySegment name = GgmlLib.ggml_type_name(t.id()).reinterpret(64);
            assertEquals(name.getString(0), t.ggmlName(), t + " name");
        }
    }

    @Test
    void everyLiveGgmlTypeIsKnownAndEveryOtherIdRefused() {
        Set<Integer> ours = Arrays.stream(GgmlType.values()).map(GgmlType::id).collect(Collectors.toSet());
        for (int id = 0; id < GgmlLib.GGML_TYPE_COUNT(); id++) {
            // ggml keeps removed types as placeholders with block size 0
            boolean live = GgmlLib.ggml_blck_size(id) != 0;
            assertEquals(live, ours.contains(id), "type id " + id);
            if (!live) {
                int removed = id;
                GgufFormatException e = assertThrows(GgufFormatException.class, () -> GgmlType.fromId(removed));
                assertTrue(e.getMessage().contains(Integer.toString(removed)), e.getMessage());
            }
        }
        assertThrows(GgufFormatException.class, () -> GgmlType.fromId(-1));
        assertThrows(GgufFormatException.class, () -> GgmlType.fromId(GgmlLib.GGML_TYPE_COUNT()));
        assertThrows(GgufFormatException.class, () -> GgmlType.fromId(Integer.MAX_VALUE));
    }
}
