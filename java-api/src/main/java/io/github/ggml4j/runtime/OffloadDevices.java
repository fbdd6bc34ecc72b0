package io.github.ggml4j.runtime;

import io.github.ggml4j.ModelException;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;

/**
 * The offload devices of one model, in llama.cpp's order (remote RPC devices first, to keep network transfers
 * few, then local GPUs), and the share of offloaded layers each gets: the tensor split when one is given, else
 * each device's free memory (a device that reports none counts the host's, as llama.cpp does).
 */
final class OffloadDevices {

    private OffloadDevices() {
    }

    static GpuAssignment assign(WeightLoader.Placement p, int nLayer, Devices local) {
        List<MemorySegment> devices = new ArrayList<>(RpcClient.connect(p.rpcServers()));
        devices.addAll(local.gpus());
        return GpuAssignment.of(p, nLayer, devices, weights(p.tensorSplit(), devices, local));
    }

    static double[] weights(List<Double> split, List<MemorySegment> devices, Devices local) {
        if (split.size() > devices.size()) {
            throw new ModelException("the tensor split has " + split.size() + " entries but there "
                    + (devices.size() == 1 ? "is 1 offload device" : "are " + devices.size() + " offload devices")
                    + " (RPC devices first, then GPUs; see ggml4j info --rpc)");
        }
        double[] w = new double[devices.size()];
        boolean allZero = true;
        for (int i = 0; i < split.size(); i++) {
            w[i] = split.get(i);
            allZero &= w[i] == 0;
        }
        if (!allZero) {
            return w;
        }
        for (int i = 0; i < w.length; i++) {
            long[] mem = Devices.memory(devices.get(i));
            if (mem[0] == 0 && mem[1] == 0) {
                mem = Devices.memory(local.cpu());
            }
            w[i] = mem[0];
        }
        return w;
    }
}
