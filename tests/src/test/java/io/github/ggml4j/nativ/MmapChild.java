package io.github.ggml4j.nativ;

import io.github.ggml4j.model.Model;
import io.github.ggml4j.model.ModelOptions;
import io.github.ggml4j.session.GenerateOptions;
import io.github.ggml4j.session.Generation;
import io.github.ggml4j.session.Session;

import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.stream.Collectors;

/**
 * Child JVM main for {@link MmapHazardTest}: {@code MODEL mmap|copy lock|nolock keep|truncate}. Loads the model,
 * optionally truncates its file to 4 KiB while it is open, then greedily generates 8 tokens; prints
 * {@code ids=...} and {@code vmlck=<kB>} (the process's locked memory, from /proc/self/status).
 */
public final class MmapChild {

    private MmapChild() {
    }

    public static void main(String[] args) throws Exception {
        Path model = Path.of(args[0]);
        ModelOptions o = ModelOptions.defaults().withThreads(1).withContextSize(256)
                .withMmap(args[1].equals("mmap")).withMlock(args[2].equals("lock"));
        try (Model m = Model.load(model, o); Session s = m.newSession()) {
            System.out.println("vmlck=" + Files.readAllLines(Path.of("/proc/self/status")).stream()
                    .filter(l -> l.startsWith("VmLck:")).map(l -> l.replaceAll("[^0-9]", "")).findFirst().orElse("-1"));
            if (args[3].equals("truncate")) {
                try (RandomAccessFile f = new RandomAccessFile(model.toFile(), "rw")) {
                    f.setLength(4096);
                }
                System.out.println("truncated=true");
            }
            System.out.flush();
            Generation g = s.generate("Hello world, this is", GenerateOptions.greedy(8));
            System.out.println("ids=" + Arrays.stream(g.tokens()).mapToObj(Integer::toString).collect(Collectors.joining(",")));
        }
    }
}
