import java.io.IOException;
import java.io.OutputStream;
import java.lang.classfile.ClassFile;
import java.lang.classfile.ClassFileVersion;
import java.lang.classfile.ClassHierarchyResolver;
import java.lang.classfile.ClassModel;
import java.lang.classfile.ClassTransform;
import java.lang.classfile.CodeTransform;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Enumeration;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.jar.JarOutputStream;

/**
 * Rewrites the pre-Java-6 class files of a jar (class-file version below 50) as version 52 with stack maps, in
 * place; a jar without such classes is left untouched.
 *
 * <pre>
 * java scripts/UpgradeOldClassfiles.java JAR...
 * </pre>
 *
 * <p>Why: the JDK's AOT cache (JEP 483) skips classes older than Java 6 ("Old class has been linked"), because it
 * can only store classes that the split verifier checks. picocli ships Java 5 class files, so without this every
 * start of {@code ./ggml4j} loads, verifies and links all of picocli again. Only the launcher's copy under
 * {@code cli/target/lib} is rewritten (by {@code scripts/aot-cache.sh}); the bytecode is unchanged, only the
 * version and the stack map frames the newer version requires, which the JDK's class-file API computes.
 */
public final class UpgradeOldClassfiles {

    private static final int JAVA_6 = 50;

    public static void main(String[] args) throws IOException {
        if (args.length == 0) {
            System.err.println("usage: java scripts/UpgradeOldClassfiles.java JAR...");
            System.exit(2);
        }
        for (String a : args) {
            int n = upgrade(Path.of(a));
            if (n > 0) {
                System.err.println("ggml4j: " + a + ": " + n + " pre-Java-6 classes rewritten as Java 8 class files");
            }
        }
    }

    /** Rewrites {@code jar} when it has old classes; returns how many. */
    static int upgrade(Path jar) throws IOException {
        Path tmp = Files.createTempFile(jar.toAbsolutePath().getParent(), jar.getFileName().toString(), ".tmp");
        int upgraded = 0;
        try (URLClassLoader loader = new URLClassLoader(new URL[] {jar.toUri().toURL()}, null);
             JarFile in = new JarFile(jar.toFile());
             OutputStream file = Files.newOutputStream(tmp);
             JarOutputStream out = new JarOutputStream(file)) {
            // stack maps name the common supertype of merged values: resolve the jar's own classes from the jar
            ClassFile cf = ClassFile.of(ClassFile.StackMapsOption.GENERATE_STACK_MAPS,
                    ClassFile.ClassHierarchyResolverOption.of(ClassHierarchyResolver.ofResourceParsing(loader)
                            .orElse(ClassHierarchyResolver.defaultResolver())));
            ClassTransform toJava8 = ClassTransform.transformingMethodBodies(CodeTransform.ACCEPT_ALL)
                    .andThen((builder, element) -> {
                        if (element instanceof ClassFileVersion) {
                            builder.withVersion(ClassFile.JAVA_8_VERSION, 0);
                        } else {
                            builder.with(element);
                        }
                    });
            for (Enumeration<JarEntry> e = in.entries(); e.hasMoreElements(); ) {
                JarEntry entry = e.nextElement();
                byte[] bytes = in.getInputStream(entry).readAllBytes();
                if (entry.getName().endsWith(".class") && !entry.getName().startsWith("META-INF/")) {
                    ClassModel model = cf.parse(bytes);
                    if (model.majorVersion() < JAVA_6) {
                        bytes = cf.transformClass(model, toJava8);
                        upgraded++;
                    }
                }
                JarEntry copy = new JarEntry(entry.getName());
                copy.setTime(entry.getTime());
                out.putNextEntry(copy);
                out.write(bytes);
                out.closeEntry();
            }
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(tmp);
            throw e;
        }
        if (upgraded == 0) {
            Files.delete(tmp);
        } else {
            Files.move(tmp, jar, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        }
        return upgraded;
    }
}
