package io.github.ggml4j.nativ;

import io.github.ggml4j.model.Model;
import io.github.ggml4j.model.ModelOptions;
import io.github.ggml4j.runtime.Devices;
import io.github.ggml4j.session.GenerateOptions;
import io.github.ggml4j.session.Generation;
import io.github.ggml4j.session.Session;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.stream.Collectors;

/**
 * Main class run in a child JVM: loads the natives, prints where from ({@code source}, {@code dir}), the CPU
 * variant and GPU count, then greedily generates 8 tokens from {@code args[0]} (a model file) and prints their
 * ids ({@code tokens=3,17,...}) and their count ({@code tokens.count}).
 */
public final class GreedyChild {

    private GreedyChild() {
    }

    public static void main(String[] args) {
        NativeRuntime rt = NativeLoader.ensureLoaded();
        System.out.println("source=" + rt.source());
        System.out.println("dir=" + rt.libraryDir());
        System.out.println("variant=" + rt.cpuVariant());
        System.out.println("gpus=" + Devices.get().gpus().size());
        if (args.length > 0) {
            try (Model model = Model.load(Path.of(args[0]), ModelOptions.defaults().withThreads(1).withContextSize(256));
                 Session s = model.newSession()) {
                Generation g = s.generate("Hello world, this is", GenerateOptions.greedy(8));
                System.out.println("ids=" + Arrays.stream(g.tokens()).mapToObj(Integer::toString)
                        .collect(Collectors.joining(",")));
                System.out.println("tokens=" + g.tokens().length);
            }
        }
        System.out.flush();
    }
}
