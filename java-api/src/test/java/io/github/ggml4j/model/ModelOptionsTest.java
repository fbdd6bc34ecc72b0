package io.github.ggml4j.model;

import io.github.ggml4j.runtime.WeightLoader;
import org.junit.jupiter.api.Test;

import java.util.List;
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

    @Test
    void rpcServersAndTensorSplitAreKeptByOtherWithersAndValidated() {
        List<io.github.ggml4j.rpc.RpcEndpoint> servers = io.github.ggml4j.rpc.RpcEndpoint.parseList("a:1,b:2");
        ModelOptions o = ModelOptions.defaults().withRpcServers(servers).withTensorSplit(List.of(3.0, 1.0));
        ModelOptions other = o.withThreads(1).withGpuLayers(9).withMlock(true).withContextSize(512);
        assertEquals(servers, other.rpcServers());
        assertEquals(List.of(3.0, 1.0), other.tensorSplit());
        assertEquals(List.of(), ModelOptions.defaults().rpcServers());
        assertEquals(List.of(), ModelOptions.defaults().tensorSplit());
        assertThrows(IllegalArgumentException.class, () -> o.withTensorSplit(List.of(1.0, -1.0)));
        assertThrows(IllegalArgumentException.class, () -> o.withTensorSplit(List.of(Double.NaN)));
        assertThrows(IllegalArgumentException.class, () -> o.withTensorSplit(List.of(Double.POSITIVE_INFINITY)));
        assertThrows(IllegalArgumentException.class,
                () -> o.withRpcServers(List.of(servers.get(0), servers.get(0))));
        assertThrows(NullPointerException.class, () -> o.withRpcServers(null));
    }
}
