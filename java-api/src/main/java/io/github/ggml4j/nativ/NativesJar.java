package io.github.ggml4j.nativ;

import io.github.ggml4j.NativeLibraryException;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.JarURLConnection;
import java.net.URISyntaxException;
import java.net.URL;
import java.net.URLConnection;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Properties;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;

/**
 * The natives jar ({@code io.github.ggml4j:ggml4j-natives} with classifier {@code natives-<platform>} or
 * {@code natives-<platform>-cuda}) on the class path or module path: finds the running platform's resources,
 * and extracts them once per content to {@code <cache>/natives/<ggml version>-<hash>}.
 *
 * <p>Extraction is safe with several JVMs starting at once: each writes a private temporary directory and
 * renames it into place atomically; whoever loses the race uses the winner's identical copy. The directory is
 * keyed by the jar's content (entry CRCs and sizes from the jar's index, so a start-up reads no library bytes
 * once extracted), so a different build never reuses a stale extraction.
 */
final class NativesJar {

    /** Resource prefix of every natives jar. */
    static final String RESOURCE_ROOT = "io/github/ggml4j/natives/";
    static final String CUDA_SUFFIX = "-cuda";

    private NativesJar() {
    }

    /** What was found: the extracted directory, the jar (or class path directory) it came from, its properties. */
    record Found(Path dir, String origin, Properties properties) {
    }

    /**
     * The running platform's natives, the CUDA flavour first when both are present; null when neither is on the
     * class path or module path. Adds each place looked at to {@code tried}.
     */
    static Found find(List<String> tried) {
        for (String flavour : List.of(NativeLoader.platform() + CUDA_SUFFIX, NativeLoader.platform())) {
            String base = RESOURCE_ROOT + flavour + "/";
            tried.add("class path resource /" + base + NativeLoader.PROPERTIES + " (natives jar)");
            URL url = resource(base + NativeLoader.PROPERTIES);
            if (url != null) {
                return extract(base, url);
            }
        }
        return null;
    }

    private static URL resource(String name) {
        // through the class loader: Class.getResource would look only inside ggml4j's own module, and these
        // directories are no packages (a '-' in their name), so no module encapsulates them
        ClassLoader cl = NativeLoader.class.getClassLoader();
        URL u = cl == null ? ClassLoader.getSystemResource(name) : cl.getResource(name);
        if (u == null && Thread.currentThread().getContextClassLoader() != null) {
            u = Thread.currentThread().getContextClassLoader().getResource(name);
        }
        return u;
    }

    private static Found extract(String base, URL propsUrl) {
        String origin = origin(propsUrl);
        try {
            byte[] propsBytes = read(propsUrl);
            Properties props = new Properties();
            props.load(new ByteArrayInputStream(propsBytes));
            List<String> files = files(props);
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            sha.update(propsBytes);
            List<URL> urls = new ArrayList<>();
            for (String f : files) {
                URL u = resource(base + f);
                if (u == null) {
                    throw new NativeLibraryException("the natives jar " + origin + " lacks " + base + f
                            + " (listed in its " + NativeLoader.PROPERTIES + "): a broken or hand-made jar");
                }
                urls.add(u);
                fingerprint(sha, f, u);
            }
            String key = props.getProperty("ggml.version", "x") + "-" + HexFormat.of().formatHex(sha.digest(), 0, 8);
            Path dir = NativeLoader.cacheDir().resolve("natives").resolve(key);
            if (!Files.isRegularFile(dir.resolve(NativeLoader.PROPERTIES))) {
                write(dir, files, urls, propsBytes);
            }
            return new Found(dir, origin, props);
        } catch (IOException e) {
            throw new NativeLibraryException("cannot extract the natives jar " + origin + " to "
                    + NativeLoader.cacheDir().resolve("natives") + ": " + e.getMessage(), e);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The libraries, dynamic backends and probe executable the properties name. */
    private static List<String> files(Properties props) {
        List<String> files = new ArrayList<>();
        for (String key : List.of("load.order", "backends.dynamic", "probe.exe")) {
            for (String f : props.getProperty(key, "").split(",")) {
                if (!f.isBlank() && !files.contains(f.strip())) {
                    files.add(f.strip());
                }
            }
        }
        return files;
    }

    /** An entry's identity without reading it where the jar's index has it (name, size, CRC-32). */
    private static void fingerprint(MessageDigest sha, String name, URL u) throws IOException {
        sha.update(name.getBytes(java.nio.charset.StandardCharsets.UTF_8));
        URLConnection c = u.openConnection();
        if (c instanceof JarURLConnection jc) {
            jc.setUseCaches(false);
            try (JarFile jar = jc.getJarFile()) {
                JarEntry e = jar.getJarEntry(jc.getEntryName());
                if (e != null && e.getCrc() != -1 && e.getSize() != -1) {
                    sha.update(HexFormat.of().formatHex(longBytes(e.getSize())).getBytes());
                    sha.update(HexFormat.of().formatHex(longBytes(e.getCrc())).getBytes());
                    return;
                }
            }
        }
        sha.update(read(u)); // a class path directory or a jar without sizes: hash the bytes
    }

    private static byte[] longBytes(long v) {
        byte[] b = new byte[8];
        for (int i = 0; i < 8; i++) {
            b[i] = (byte) (v >>> (8 * i));
        }
        return b;
    }

    private static byte[] read(URL u) throws IOException {
        URLConnection c = u.openConnection();
        c.setUseCaches(false); // a cached JarFile would stay open (and locked) for the JVM's life
        try (InputStream in = c.getInputStream()) {
            return in.readAllBytes();
        }
    }

    /** The jar file (or directory) a resource lives in, for messages. */
    static String origin(URL u) {
        try {
            if ("jar".equals(u.getProtocol())) {
                String s = u.getPath();
                int bang = s.indexOf("!/");
                return Path.of(new java.net.URI(bang < 0 ? s : s.substring(0, bang))).toString();
            }
            if ("file".equals(u.getProtocol())) {
                return Path.of(u.toURI()).getParent().toString();
            }
        } catch (URISyntaxException | IllegalArgumentException e) {
            // fall through to the URL itself
        }
        return u.toString();
    }

    private static void write(Path dir, List<String> files, List<URL> urls, byte[] props) throws IOException {
        Files.createDirectories(dir.getParent());
        Path tmp = Files.createTempDirectory(dir.getParent(), ".extract-");
        try {
            for (int i = 0; i < files.size(); i++) {
                Path f = tmp.resolve(files.get(i));
                URLConnection c = urls.get(i).openConnection();
                c.setUseCaches(false);
                try (InputStream in = c.getInputStream()) {
                    Files.copy(in, f);
                }
                if (!f.getFileName().toString().contains(".so")) {
                    f.toFile().setExecutable(true, false); // the probe executable
                }
            }
            Files.write(tmp.resolve(NativeLoader.PROPERTIES), props); // last: its presence marks a complete directory
            try {
                Files.move(tmp, dir, StandardCopyOption.ATOMIC_MOVE);
            } catch (FileAlreadyExistsException | AtomicMoveNotSupportedException e) {
                // another process extracted the same content first; theirs is as good as ours
                if (!Files.isRegularFile(dir.resolve(NativeLoader.PROPERTIES))) {
                    throw e;
                }
            } catch (IOException e) {
                if (!Files.isRegularFile(dir.resolve(NativeLoader.PROPERTIES))) {
                    throw e;
                }
            }
        } finally {
            deleteTree(tmp);
        }
    }

    private static void deleteTree(Path p) {
        if (!Files.exists(p)) {
            return;
        }
        try (var walk = Files.walk(p)) {
            walk.sorted(java.util.Comparator.reverseOrder()).forEach(q -> {
                try {
                    Files.deleteIfExists(q);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        } catch (IOException | UncheckedIOException ignored) {
            // a leftover temp directory is harmless
        }
    }
}
