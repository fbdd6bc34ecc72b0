package io.github.ggml4j.model;

import io.github.ggml4j.runtime.WeightLoader;
import org.junit.jupiter.api.Test;

import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** ModelOptions' buffer-type switches and their validation. */
class ModelOptionsTest {

    @Test
    void disabledBufferTypesAreUpperCasedAndKeptByOtherWithers() {
        ModelOptions o = ModelOptions.defaults().withDisabledBufferTypes(Set.of("amx", "Cpu_Repack"));
        assertEquals(Set.of("AMX", "CPU_REPACK"), o.disabledBufferTypes());
        assertEquals(o.disabledBufferTypes(), o.withMmap(false).withRepack(false).withGpuLayers(3).withThreads(1).withKvLayout(KvLayout.FULL)
                .withSlidingWindow(0).disabledBufferTypes());
        assertTrue(ModelOptions.defaults().disabledBufferTypes().isEmpty());
        assertTrue(ModelOptions.defaults().withContextSize(512).disabledBufferTypes().isEmpty());
    }

    @Test
    void badNamesAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> ModelOptions.defaults().withDisabledBufferTypes(Set.of(" ")));
        assertThrows(IllegalArgumentException.class, () -> ModelOptions.defaults().withDisabledBufferTypes(Set.of(" AMX")));
        assertThrows(NullPointerException.class, () -> ModelOptions.defaults().withDisabledBufferTypes(null));
    }

    @Test
    void placementMatchesNamesInAnyCase() {
        WeightLoader.Placement p = new WeightLoader.Placement(true, true, 0, Set.of("amx"));
        assertEquals(Set.of("AMX"), p.disabledBufts());
        assertTrue(new WeightLoader.Placement(true, true, 0).disabledBufts().isEmpty());
        assertFalse(p.disabledBufts().contains("CPU_REPACK"));
    }

    @Test
    void gpuAndLockSettingsAreKeptByOtherWithersAndValidated() {
        ModelOptions o = ModelOptions.defaults().withMainDevice(2).withSplitMode(SplitMode.NONE).withMlock(true)
                .withThreads(3).withMmap(false);
        assertEquals(2, o.mainDevice());
        assertEquals(SplitMode.NONE, o.splitMode());
        assertTrue(o.mlock());
        assertEquals(false, o.mmap());
        assertEquals(0, ModelOptions.defaults().mainDevice());
        assertEquals(SplitMode.LAYER, ModelOptions.defaults().splitMode());
        assertEquals(false, ModelOptions.defaults().mlock());
        assertThrows(IllegalArgumentException.class, () -> ModelOptions.defaults().withMainDevice(-1));
        assertThrows(NullPointerException.class, () -> ModelOptions.defaults().withSplitMode(null));
    }
}
