import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;

/**
 * Merges the command line's class path (its jar, then the jars its manifest's Class-Path lists, in that order)
 * into one jar for {@code ./ggml4j}.
 *
 * <pre>
 * java scripts/LauncherJar.java cli/target/ggml4j-cli.jar cli/target/ggml4j-launcher.jar
 * </pre>
 *
 * <p>Why: the first resource lookup of a run (the JDK's search for a System.LoggerFinder, before the first log
 * line) opens every jar on the class path, some 35 of them with the chat templates' dependencies, and a short
 * command paid several milliseconds for it. Lookups keep their class-path meaning: for a name in several jars
 * the first jar's entry wins, service files are concatenated in class-path order, and versioned entries stay
 * under META-INF/versions with Multi-Release set when any input is multi-release. Module descriptors and
 * signature files are left out (neither means anything on a class path). The output is written beside the
 * target and moved into place, so a half-written jar is never left under the target's name.
 */
public final class LauncherJar {

    private static final String SERVICES = "META-INF/services/";

    public static void main(String[] args) throws IOException {
        if (args.length != 2) {
            System.err.println("usage: java scripts/LauncherJar.java CLI_JAR OUT_JAR");
            System.exit(2);
        }
        Path cli = Path.of(args[0]).toAbsolutePath();
        Path out = Path.of(args[1]).toAbsolutePath();
        Manifest cliManifest;
        try (JarFile jar = new JarFile(cli.toFile())) {
            cliManifest = jar.getManifest();
        }
        if (cliManifest == null || cliManifest.getMainAttributes().getValue(Attributes.Name.MAIN_CLASS) == null) {
            throw new IOException(cli + " has no Main-Class");
        }
        List<Path> jars = new ArrayList<>(List.of(cli));
        String classPath = cliManifest.getMainAttributes().getValue(Attributes.Name.CLASS_PATH);
        if (classPath != null) {
            for (String e : classPath.trim().split("\\s+")) {
                Path p = cli.getParent().resolve(e);
                if (!Files.isRegularFile(p)) {
                    throw new IOException(cli + " lists " + e + " on its Class-Path, but " + p + " is missing");
                }
                jars.add(p);
            }
        }
        int entries = merge(jars, cliManifest, out);
        System.err.println("ggml4j: " + out.getFileName() + ": " + jars.size() + " jars, " + entries + " entries");
    }

    private static int merge(List<Path> jars, Manifest cliManifest, Path out) throws IOException {
        Set<String> written = new HashSet<>();
        Map<String, ByteArrayOutputStream> services = new LinkedHashMap<>();
        boolean multiRelease = false;
        Path tmp = Files.createTempFile(out.getParent(), out.getFileName().toString(), ".tmp");
        try {
            try (OutputStream file = Files.newOutputStream(tmp); JarOutputStream jarOut = new JarOutputStream(file)) {
                List<byte[]> bodies = new ArrayList<>();
                List<String> names = new ArrayList<>();
                for (Path p : jars) {
                    try (JarFile jar = new JarFile(p.toFile())) {
                        Manifest m = jar.getManifest();
                        multiRelease |= m != null && "true".equalsIgnoreCase(
                                m.getMainAttributes().getValue(Attributes.Name.MULTI_RELEASE));
                        for (Enumeration<JarEntry> en = jar.entries(); en.hasMoreElements(); ) {
                            JarEntry e = en.nextElement();
                            String name = e.getName();
                            if (e.isDirectory() || skipped(name)) {
                                continue;
                            }
                            if (name.startsWith(SERVICES) && name.indexOf('/', SERVICES.length()) < 0) {
                                ByteArrayOutputStream s = services.computeIfAbsent(name, k -> new ByteArrayOutputStream());
                                try (InputStream in = jar.getInputStream(e)) {
                                    in.transferTo(s);
                                }
                                s.write('\n');
                            } else if (written.add(name)) {
                                try (InputStream in = jar.getInputStream(e)) {
                                    names.add(name);
                                    bodies.add(in.readAllBytes());
                                }
                            }
                        }
                    }
                }
                jarOut.putNextEntry(new JarEntry(JarFile.MANIFEST_NAME));
                manifest(cliManifest, multiRelease).write(jarOut);
                jarOut.closeEntry();
                for (int i = 0; i < names.size(); i++) {
                    jarOut.putNextEntry(new JarEntry(names.get(i)));
                    jarOut.write(bodies.get(i));
                    jarOut.closeEntry();
                }
                for (Map.Entry<String, ByteArrayOutputStream> s : services.entrySet()) {
                    jarOut.putNextEntry(new JarEntry(s.getKey()));
                    s.getValue().writeTo(jarOut);
                    jarOut.closeEntry();
                }
            }
            try {
                // a temporary file is private to its owner; the jar is not
                Files.setPosixFilePermissions(tmp, java.nio.file.attribute.PosixFilePermissions.fromString("rw-r--r--"));
            } catch (UnsupportedOperationException e) {
                // not a POSIX file system: its defaults stand
            }
            Files.move(tmp, out, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(tmp);
        }
        return written.size() + services.size();
    }

    /** What has no meaning on a class path, or is replaced: the manifest, module descriptors, signatures. */
    private static boolean skipped(String name) {
        String upper = name.toUpperCase(java.util.Locale.ROOT);
        return upper.equals("META-INF/MANIFEST.MF") || upper.equals("META-INF/INDEX.LIST")
                || name.equals("module-info.class") || name.endsWith("/module-info.class")
                || (upper.startsWith("META-INF/") && upper.indexOf('/', 9) < 0
                    && (upper.endsWith(".SF") || upper.endsWith(".RSA") || upper.endsWith(".DSA") || upper.endsWith(".EC")));
    }

    /** The command line's own manifest (Main-Class, versions, native access) less its Class-Path. */
    private static Manifest manifest(Manifest cli, boolean multiRelease) {
        Manifest m = new Manifest(cli);
        m.getMainAttributes().remove(Attributes.Name.CLASS_PATH);
        if (multiRelease) {
            m.getMainAttributes().put(Attributes.Name.MULTI_RELEASE, "true");
        }
        m.getEntries().clear();
        return m;
    }
}
