package io.github.ggml4j.nativ;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;
import java.util.function.Supplier;
import java.util.stream.Stream;
import java.util.zip.CRC32;

/**
 * Kernel probe verdicts cached on disk, one file per key (natives build, CPU model and flags), so the probe runs
 * once per machine. Two JVMs starting at once serialise on a file lock next to the entry: the first runs the
 * probe and writes the entry through a temp file and an atomic rename, the second then reads it. A reader
 * checks the entry's header, key, line count and CRC, and treats anything else as missing.
 *
 * {@snippet :
 * ProbeCache cache = new ProbeCache(ProbeCache.defaultDir());
 * ProbeCache.Entry e = cache.getOrCompute(key, () -> List.of(KernelProbe.probe(exe, null, "native", 60)));
 * }
 */
public final class ProbeCache {

    static final String HEADER = "ggml4j-probe-cache 1";
    /** System property naming the cache directory (tests); else GGML4J_CACHE_DIR/probe or ~/.cache/ggml4j/probe. */
    public static final String DIR_PROPERTY = "ggml4j.probe.cache.dir";

    private final Path dir;

    /**
     * A cache entry's verdicts.
     *
     * @param verdicts  one per probed CPU backend (variant)
     * @param fromCache whether they were read from disk rather than computed by this process
     * @param file      the entry's file
     */
    public record Entry(List<ProbeVerdict> verdicts, boolean fromCache, Path file) {
        public Entry {
            verdicts = List.copyOf(verdicts);
        }
    }

    public ProbeCache(Path dir) {
        this.dir = Objects.requireNonNull(dir);
    }

    public static Path defaultDir() {
        String p = System.getProperty(DIR_PROPERTY);
        if (p != null && !p.isBlank()) {
            return Path.of(p);
        }
        return NativeLoader.cacheDir().resolve("probe");
    }

    /**
     * A file-name-safe key over everything that can change a verdict: 128 bits, from two FNV-1a hashes of the
     * parts' UTF-8 bytes with different starting values, each finished by splitmix64's mixer. Not SHA-256: a
     * cache key needs no cryptography, and the first MessageDigest of a JVM costs some 6 ms of its start-up.
     */
    public static String key(String... parts) {
        long a = 0xcbf29ce484222325L;
        long b = 0x84222325cbf29ce4L;
        for (String part : parts) {
            for (byte x : part.getBytes(StandardCharsets.UTF_8)) {
                a = (a ^ (x & 0xff)) * 0x100000001b3L;
                b = (b ^ (x & 0xff)) * 0x100000001b3L + 0x9e3779b97f4a7c15L;
            }
            // a separator, so that ("ab", "") and ("a", "b") differ
            a = (a ^ 0x100) * 0x100000001b3L;
            b = (b ^ 0x100) * 0x100000001b3L + 0x9e3779b97f4a7c15L;
        }
        return HexFormat.of().toHexDigits(mix(a)) + HexFormat.of().toHexDigits(mix(b));
    }

    private static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
        z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
        return z ^ (z >>> 31);
    }

    Path entryFile(String key) {
        return dir.resolve(key + ".verdict");
    }

    /**
     * The entry for {@code key}: read when a complete one exists, else computed (once across processes) and
     * written. Throws IOException when the directory cannot be used; the caller may then compute uncached.
     */
    public Entry getOrCompute(String key, Supplier<List<ProbeVerdict>> compute) throws IOException {
        // a file lock is per process: threads of one JVM must not ask for it twice at once
        synchronized (ProbeCache.class) {
            return lockedGetOrCompute(key, compute);
        }
    }

    private Entry lockedGetOrCompute(String key, Supplier<List<ProbeVerdict>> compute) throws IOException {
        Files.createDirectories(dir);
        Path file = entryFile(key);
        List<ProbeVerdict> existing = read(file, key);
        if (existing != null) {
            return new Entry(existing, true, file);
        }
        try (FileChannel ch = FileChannel.open(dir.resolve(key + ".lock"), StandardOpenOption.CREATE,
                StandardOpenOption.WRITE);
             FileLock lock = ch.lock()) {
            existing = read(file, key); // someone else may have written it while we waited
            if (existing != null) {
                return new Entry(existing, true, file);
            }
            List<ProbeVerdict> computed = compute.get();
            write(file, key, computed);
            return new Entry(computed, false, file);
        }
    }

    /** The verdicts in a complete entry for this key, or null when there is none (or it is damaged). */
    static List<ProbeVerdict> read(Path file, String key) {
        List<String> lines;
        try {
            lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            return null;
        } catch (IOException e) {
            return null;
        }
        try {
            return parse(lines, key);
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    static List<ProbeVerdict> parse(List<String> lines, String key) {
        if (lines.size() < 3 || !lines.get(0).equals(HEADER) || !lines.get(1).equals("key " + key)) {
            throw new IllegalArgumentException("not an entry for key " + key);
        }
        String end = lines.getLast();
        List<String> body = lines.subList(2, lines.size() - 1).stream().filter(l -> !l.startsWith("#")).toList();
        if (!end.equals("end " + body.size() + " " + crc(body))) {
            throw new IllegalArgumentException("incomplete or damaged entry");
        }
        return ProbeVerdict.fromLines(body);
    }

    static List<String> format(String key, List<ProbeVerdict> verdicts) {
        List<String> body = new ArrayList<>();
        verdicts.forEach(v -> body.addAll(v.toLines()));
        List<String> lines = new ArrayList<>();
        lines.add(HEADER);
        lines.add("key " + key);
        lines.add("# written by process " + ProcessHandle.current().pid() + " at " + java.time.Instant.now());
        lines.addAll(body);
        lines.add("end " + body.size() + " " + crc(body));
        return lines;
    }

    private static void write(Path file, String key, List<ProbeVerdict> verdicts) throws IOException {
        Path tmp = file.resolveSibling(file.getFileName() + "." + ProcessHandle.current().pid() + ".tmp");
        try {
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                    StandardOpenOption.TRUNCATE_EXISTING)) {
                ch.write(java.nio.ByteBuffer.wrap((String.join("\n", format(key, verdicts)) + "\n")
                        .getBytes(StandardCharsets.UTF_8)));
                ch.force(true);
            }
            try {
                Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
            }
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    private static String crc(List<String> body) {
        CRC32 c = new CRC32();
        for (String l : body) {
            c.update(l.getBytes(StandardCharsets.UTF_8));
            c.update('\n');
        }
        return Long.toHexString(c.getValue());
    }

    /** Entry files in the directory (tests). */
    static List<Path> entries(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> p.getFileName().toString().endsWith(".verdict")).sorted().toList();
        }
    }
}
